//! Bad input gets errors naming the profile and the thing at fault.

use std::sync::Arc;

use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use xorq_core::profile::Profile;
use xorq_engines::EngineError;
use xorq_engines::backend::{Backend, Connectors};

use crate::TestResult;

fn connectors() -> Connectors {
    Connectors::default().with(xorq_duckdb::KIND, xorq_duckdb::connector())
}

fn one_int() -> Arc<ArrowSchema> {
    Arc::new(ArrowSchema::new(vec![ArrowField::new("x", ArrowType::Int64, true)]))
}

#[tokio::test]
async fn a_missing_table_is_table_not_found() -> TestResult {
    let con = xorq_duckdb::connect_memory("warehouse")?;
    let err = con.table("nope").await.expect_err("no such table");
    assert!(matches!(&err, EngineError::TableNotFound { profile, table } if profile == "warehouse" && table == "nope"));
    let err = con.table("main.nope").await.expect_err("no such table");
    assert!(matches!(&err, EngineError::TableNotFound { table, .. } if table.contains("nope")), "{err}");

    // A query over a missing table says the same.
    let err = con.open().await?.query("SELECT x FROM nope".into(), one_int()).await.err().expect("no such table");
    assert!(matches!(&err, EngineError::TableNotFound { profile, table } if profile == "warehouse" && table == "nope"));
    Ok(())
}

#[tokio::test]
async fn bad_sql_names_the_profile_and_the_sql() -> TestResult {
    let con = xorq_duckdb::connect_memory("warehouse")?;
    let err = con.open().await?.query("SELEC 1 AS x".into(), one_int()).await.err().expect("a syntax error");
    let text = err.to_string();
    assert!(text.contains("`warehouse`") && text.contains("SELEC 1 AS x"), "{text}");
    let err = con.execute_sql("CREATE TABLE").await.expect_err("a syntax error").to_string();
    assert!(err.contains("`warehouse`") && err.contains("CREATE TABLE"), "{err}");
    Ok(())
}

#[tokio::test]
async fn a_failure_midway_arrives_in_the_stream() -> TestResult {
    let con = xorq_duckdb::connect_memory("warehouse")?;
    // The error is raised while rows are produced, after the query started.
    let sql = "SELECT CASE WHEN range < 5000 THEN range ELSE error('boom at 5000') END AS x FROM range(10000)";
    let rows = con.open().await?.query(sql.into(), one_int()).await;
    let err = match rows {
        Ok(rows) => crate::collect(rows).await.expect_err("the query fails midway").to_string(),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("boom at 5000") && err.contains("warehouse"), "{err}");
    Ok(())
}

#[tokio::test]
async fn an_unsupported_column_type_names_table_column_and_type() -> TestResult {
    let con = xorq_duckdb::connect_memory("warehouse")?;
    con.execute_sql("CREATE TABLE nested (id INTEGER, tags VARCHAR[])").await?;
    let err = con.table("nested").await.expect_err("lists are not supported").to_string();
    assert!(err.contains("`nested`") && err.contains("`tags`") && err.contains("VARCHAR[]"), "{err}");
    Ok(())
}

#[tokio::test]
async fn profiles_never_create_databases() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing.duckdb");
    for read_only in ["false", "true"] {
        let profile =
            Profile::new("wh", "duckdb")?.param("path", &missing.to_string_lossy())?.param("read_only", read_only)?;
        let err = connectors().connect(&profile).await.expect_err("no such file").to_string();
        assert!(err.contains("`wh`") && err.contains(&*missing.to_string_lossy()), "{err}");
    }
    assert!(!missing.exists());

    let no_dir = dir.path().join("no/such/dir/x.duckdb");
    let err = xorq_duckdb::connect(&no_dir, "wh").expect_err("no such directory");
    assert!(matches!(&err, EngineError::Connect { profile, .. } if profile == "wh"));
    assert!(err.to_string().contains(&*no_dir.to_string_lossy()), "{err}");

    let no_path = Profile::new("wh", "duckdb")?;
    assert!(connectors().connect(&no_path).await.expect_err("no path").to_string().contains("`path`"));
    let bad_flag = Profile::new("wh", "duckdb")?.param("path", ":memory:")?.param("read_only", "perhaps")?;
    assert!(connectors().connect(&bad_flag).await.expect_err("not a boolean").to_string().contains("read_only"));
    Ok(())
}

#[tokio::test]
async fn a_read_only_profile_reads_an_existing_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ro.duckdb");
    xorq_duckdb::connect(&path, "setup")?.execute_sql("CREATE TABLE t AS SELECT 1 AS x").await?;

    let profile = Profile::new("ro", "duckdb")?.param("path", &path.to_string_lossy())?.param("read_only", "true")?;
    let con = connectors().connect(&profile).await?;
    assert_eq!(con.table("t").await?.columns(), ["x"]);
    let memory = connectors().connect(&Profile::new("scratch", "duckdb")?.param("path", ":memory:")?).await?;
    assert_eq!(memory.profile().name(), "scratch");
    Ok(())
}
