"""A pyarrow.flight client for the serving tests, as a xorq user would write one.

    flight_client.py URL exchange ROWS.parquet OUT.arrow [TOKEN]
        discovers the one flight (ListFlights), sends the rows with DoExchange, writes the
        result as an Arrow IPC file, and prints a JSON summary
    flight_client.py URL wrong-schema ROWS.parquet
        sends the rows without their last column; prints the error
    flight_client.py URL slow ROWS.parquet OUT.arrow
        sends the rows in four parts, printing "started" after the first and pausing before
        each of the rest (the test stops the server meanwhile)
"""

import json
import sys
import time

import pyarrow as pa
import pyarrow.flight as fl
import pyarrow.parquet as pq


def options(token):
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return fl.FlightCallOptions(headers=headers)


def exchange(client, descriptor, table, opts, parts=1, pause=0.0):
    writer, reader = client.do_exchange(descriptor, opts)
    writer.begin(table.schema)
    size = max(1, -(-table.num_rows // parts))
    for i, batch in enumerate(table.to_batches(max_chunksize=size)):
        if i == 1:
            print("started", flush=True)
        if i > 0:
            time.sleep(pause)
        writer.write_batch(batch)
    writer.done_writing()
    return reader.read_all()


def main():
    url, mode, rows = sys.argv[1], sys.argv[2], sys.argv[3]
    token = sys.argv[5] if len(sys.argv) > 5 else None
    client = fl.connect(url)
    opts = options(token)
    table = pq.read_table(rows)
    flights = list(client.list_flights(b"", opts))
    descriptor = flights[0].descriptor
    if mode == "exchange":
        result = exchange(client, descriptor, table, opts)
    elif mode == "slow":
        result = exchange(client, descriptor, table, opts, parts=4, pause=0.5)
    elif mode == "wrong-schema":
        try:
            exchange(client, descriptor, table.drop_columns([table.column_names[-1]]), opts)
        except (fl.FlightError, pa.ArrowException) as e:
            print(json.dumps({"error": type(e).__name__, "message": str(e)}))
            return
        print(json.dumps({"error": None}))
        return
    else:
        raise SystemExit(f"unknown mode {mode}")
    with pa.OSFile(sys.argv[4], "wb") as sink, pa.ipc.new_file(sink, result.schema) as out:
        out.write_table(result)
    print(json.dumps({
        "flights": [[p.decode() for p in f.descriptor.path] for f in flights],
        "metadata": json.loads(flights[0].app_metadata.decode() or "{}"),
        "rows": result.num_rows,
    }), flush=True)


if __name__ == "__main__":
    main()
