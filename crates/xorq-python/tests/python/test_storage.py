"""The seeds' quickstart reads `s3://bucket/penguins.parquet`: the same line against CI's S3
server (moto, `.ci/storage.sh`), and a cache shared through a bucket."""

import os
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def s3_endpoint():
    url = os.environ.get("XORQ_TEST_S3_ENDPOINT")
    if not url:
        if os.environ.get("CI"):
            raise AssertionError("CI must provide XORQ_TEST_S3_ENDPOINT (.ci/storage.sh)")
        pytest.skip("no S3 server (XORQ_TEST_S3_ENDPOINT)")
    return url


@pytest.fixture
def bucket(tmp_path):
    """A new bucket holding `penguins.parquet`, with the environment a user would set."""
    endpoint = s3_endpoint()
    boto3 = pytest.importorskip("boto3")  # installed with moto in CI's venv
    name = f"penguins-{uuid.uuid4().hex[:12]}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_REGION": "us-east-1",
    }
    os.environ.update(env)
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=name)
    penguins = pa.table(
        {
            "species": ["Adelie", "Adelie", "Gentoo", "Chinstrap", "Gentoo"],
            "island": ["Torgersen", "Biscoe", "Biscoe", "Dream", "Biscoe"],
            "bill_length_mm": [39.1, 38.8, 46.1, 46.5, 50.0],
        }
    )
    local = tmp_path / "penguins.parquet"
    pq.write_table(penguins, local)
    s3.upload_file(str(local), name, "penguins.parquet")
    return name, penguins


def test_the_seeds_quickstart_source_line_reads_from_s3(bucket):
    import xorq_rs.api as xo

    name, penguins = bucket
    # The seeds' line, with only the bucket's name and the package changed.
    expr = xo.deferred_read_parquet(f"s3://{name}/penguins.parquet")
    assert expr.schema().names == ["species", "island", "bill_length_mm"]
    result = (
        expr.filter(xo._.bill_length_mm > 40)
        .group_by("species")
        .agg(n=xo._.species.count())
        .order_by("species")
        .execute()
    )
    assert result.to_pydict() == {"species": ["Chinstrap", "Gentoo"], "n": [1, 2]}
    assert xo.read_parquet(f"s3://{name}/penguins.parquet").execute().num_rows == penguins.num_rows


def test_a_missing_object_is_an_error_naming_it(bucket):
    import xorq_rs.api as xo

    name, _ = bucket
    with pytest.raises(xo.XorqError) as raised:
        xo.deferred_read_parquet(f"s3://{name}/nope.parquet")
    assert f"s3://{name}/nope.parquet" in str(raised.value)
    assert "no object has this key" in str(raised.value)
