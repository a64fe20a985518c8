"""What validation costs at 1M order lines, and on which GX engine (issue 7, "Cost").

    python bench/bench_validate.py [--lines 1000000] [--engines pandas,spark,sql]
                                                              (make bench-validate)

Makes one synthetic silver day (``tests.synthetic``: ``--lines`` order lines,
their orders, 50k customers, 500 products) in a temporary lake, then times the
``silver_order_items`` suite (17 checks, the biggest batch of the pipeline) on:

* pandas: Parquet read with pyarrow into pandas + the derived ``has_*`` columns, then
  GX's pandas engine (what the gates use);
* spark: the same Parquet read by Spark (local[2]), the same derived columns by joins,
  then GX's Spark engine;
* sql: the same rows COPYed into Postgres (database ``rk_gx_test_bench``, dropped at the
  end; the COPY is not timed), then GX's SQL engine on a query asset;

and finally the whole ``run_gate("silver")`` (11 suites, Data Docs, audit rows) on the
same day with the pandas engine, which is the figure the pipeline pays. Each timing is
one run after a warm-up (GX already imported); results are merged into
``bench/results/validate-<lines>.json`` (so engines can be run one at a time).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from retail_kpi import config  # noqa: E402
from retail_kpi.quality.batch import standard_parameters  # noqa: E402
from retail_kpi.quality.gx_context import build_context, quiet_gx  # noqa: E402
from retail_kpi.quality.suites import load_suite, to_gx  # noqa: E402

DAY = dt.date(2024, 5, 1)
DB = "rk_gx_test_bench"
SUITE = "silver_order_items"
RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 20,
    "unexpected_index_column_names": ["order_id", "line_number"],
}


def _validate(context: Any, batch_definition: Any, batch_parameters: dict | None) -> bool:
    """The suite on one batch; a pandas frame is prepared exactly as the runner does."""
    import great_expectations as gx

    from retail_kpi.quality.runner import _as_pandas, _only_needed

    spec = load_suite(SUITE)
    parameters = standard_parameters(DAY)
    frame = (batch_parameters or {}).get("dataframe")
    if frame is not None and not hasattr(frame, "sparkSession"):
        batch_parameters = {"dataframe": _only_needed(frame, spec)}
        parameters = {k: _as_pandas(v) for k, v in parameters.items()}
    suite = context.suites.add(to_gx(spec))
    vd = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=f"bench_{time.monotonic_ns()}", data=batch_definition, suite=suite
        )
    )
    result = vd.run(
        batch_parameters=batch_parameters,
        expectation_parameters=parameters,
        result_format=RESULT_FORMAT,
    )
    context.suites.delete(SUITE)
    return bool(result.success)


def warm_up(s: config.Settings) -> float:
    """Validate 10 lines once so no engine pays GX's lazy first-run setup in its timing."""
    from retail_kpi.quality.silver import _order_items_batch, read_silver

    t0 = time.perf_counter()
    products, _ = read_silver(s, "products", DAY)
    frame = _order_items_batch(s, DAY, products).frame.head(10)
    context = build_context(s)
    asset = context.data_sources.add_pandas("warm").add_dataframe_asset(SUITE)
    _validate(context, asset.add_batch_definition_whole_dataframe("all"), {"dataframe": frame})
    return time.perf_counter() - t0


def complete_day(s: config.Settings, lines: int) -> None:
    """What the synthetic day lacks for a whole silver gate: FX, stock, reconciliation."""
    import pyarrow as pa

    from tests.silver_rows import write_table
    from tests.synthetic import money

    def put(entity: str, table: pa.Table) -> None:
        write_table(s.silver_dir, entity, DAY, DAY, table)

    rates = {"USD": 100_000_000, "CAD": 73_000_000, "EUR": 108_000_000, "MXN": 5_800_000}
    put(
        "fx_rates",
        pa.table(
            {
                "rate_date": pa.array([DAY] * 4),
                "currency": list(rates),
                "usd_per_unit": money(list(rates.values()), 8),
            }
        ),
    )
    n = 1000
    put("inventory", pa.table({
        "snapshot_date": pa.array([DAY] * n), "country_code": ["USA"] * n,
        "warehouse_id": [f"W{i // 500}" for i in range(n)],
        "product_id": [f"P{i % 500:08d}" for i in range(n)],
        "on_hand": pa.array([5] * n, pa.int32()), "on_order": pa.array([0] * n, pa.int32()),
        "reorder_point": pa.array([2] * n, pa.int32()), "is_low_stock": [False] * n,
        "is_stock_out": [False] * n, "ingest_date": pa.array([DAY] * n)}))  # fmt: skip
    entities = {"order_items": lines, "fx_rates": 4, "inventory": n}
    doc = {"entities": {e: {"entity": e, "rows_in": k, "rows_bronze": k, "rows_clean": k,
                            "rows_quarantined": 0, "rows_deduplicated": 0}
                        for e, k in entities.items()}}  # fmt: skip
    path = s.lake_dir / "_audit" / "clean" / f"dt={DAY}" / "reconciliation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def bench_pandas(s: config.Settings) -> dict[str, float]:
    from retail_kpi.quality.silver import _order_items_batch, read_silver

    t0, c0 = time.perf_counter(), time.process_time()
    products, _ = read_silver(s, "products", DAY)
    batch = _order_items_batch(s, DAY, products)
    t1, c1 = time.perf_counter(), time.process_time()
    context = build_context(s)
    asset = context.data_sources.add_pandas("bench").add_dataframe_asset(SUITE)
    ok = _validate(
        context, asset.add_batch_definition_whole_dataframe("all"), {"dataframe": batch.frame}
    )
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "read_s": t1 - t0,
        "validate_s": t2 - t1,
        "total_s": t2 - t0,
        "read_cpu_s": c1 - c0,
        "validate_cpu_s": c2 - c1,
        "passed": ok,
    }


def bench_spark(s: config.Settings) -> dict[str, float]:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-validate")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "3g")
        .getOrCreate()
    )
    try:
        t0 = time.perf_counter()
        silver = str(s.silver_dir)
        items = spark.read.parquet(f"{silver}/order_items/dt={DAY}/ingest_dt={DAY}")
        orders = spark.read.parquet(f"{silver}/orders/dt={DAY}").select("order_id").distinct()
        products = spark.read.parquet(f"{silver}/products/dt={DAY}").select("product_id")
        frame = (
            items.join(orders.withColumn("has_order", F.lit(True)), "order_id", how="left")
            .join(
                F.broadcast(products.withColumn("has_product", F.lit(True))),
                "product_id",
                how="left",
            )
            .fillna(False, subset=["has_order", "has_product"])
            .withColumn(
                "net_amount_gap",
                F.abs(
                    F.col("gross_amount_local")
                    - F.col("discount_amount_local")
                    - F.col("net_amount_local")
                ),
            )
            .cache()
        )
        frame.count()
        t1 = time.perf_counter()
        context = build_context(s)
        asset = context.data_sources.add_spark("bench_spark").add_dataframe_asset(SUITE)
        ok = _validate(
            context, asset.add_batch_definition_whole_dataframe("all"), {"dataframe": frame}
        )
        t2 = time.perf_counter()
    finally:
        spark.stop()
    return {"read_s": t1 - t0, "validate_s": t2 - t1, "total_s": t2 - t0, "passed": ok}


_PG_TYPES = {
    "b": "boolean",
    "i": "bigint",
    "u": "bigint",
    "f": "double precision",
    "M": "timestamptz",
}


def _copy_frame(conn: Any, frame: Any, table: str) -> None:
    """CREATE TABLE from the frame's dtypes, then COPY its rows as CSV (not timed)."""
    import io

    cols = []
    for name, dtype in frame.dtypes.items():
        kind = "date" if name.endswith("_date") else _PG_TYPES.get(dtype.kind, "text")
        cols.append(f'"{name}" {kind}')
    conn.execute(f"create table {table} ({', '.join(cols)})")
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False)
    with conn.cursor().copy(f"copy {table} from stdin with (format csv)") as copy:
        copy.write(buf.getvalue())


def bench_sql(s: config.Settings, server_url: str) -> dict[str, float]:
    from retail_kpi.quality.runner import _sql_url
    from retail_kpi.quality.silver import _order_items_batch, read_silver
    from retail_kpi.warehouse.db import admin_url, connect, with_database

    products, _ = read_silver(s, "products", DAY)
    frame = _order_items_batch(s, DAY, products).frame
    url = with_database(server_url, DB)
    with connect(
        admin_url(with_database(server_url, "postgres")), etl_role=False, autocommit=True
    ) as c:
        c.execute(f"drop database if exists {DB} with (force)")
        c.execute(f"create database {DB}")
    try:
        with connect(admin_url(url), etl_role=False, autocommit=True) as conn:
            _copy_frame(conn, frame, "order_items")
        t1 = time.perf_counter()
        context = build_context(s)
        source = context.data_sources.add_postgres("bench_pg", connection_string=_sql_url(url))
        asset = source.add_query_asset(SUITE, query="select * from order_items")
        ok = _validate(context, asset.add_batch_definition_whole_table("all"), None)
        t2 = time.perf_counter()
    finally:
        with connect(
            admin_url(with_database(server_url, "postgres")), etl_role=False, autocommit=True
        ) as c:
            c.execute(f"drop database if exists {DB} with (force)")
    return {"validate_s": t2 - t1, "passed": ok}


def bench_gate(s: config.Settings, server_url: str) -> dict[str, Any]:
    from retail_kpi.quality import QualityGateFailed, run_gate
    from retail_kpi.warehouse.db import admin_url, with_database
    from retail_kpi.warehouse.migrate import migrate

    url = with_database(server_url, DB)
    from retail_kpi.warehouse.db import connect

    with connect(
        admin_url(with_database(server_url, "postgres")), etl_role=False, autocommit=True
    ) as c:
        c.execute(f"drop database if exists {DB} with (force)")
        c.execute(f"create database {DB}")
    try:
        migrate(url)
        gate_settings = dataclasses.replace(s, warehouse_url=url)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            result = run_gate("silver", DAY, run_id="bench", settings=gate_settings)
            outcome = f"passed, {len(result.warnings)} warning(s)"
        except QualityGateFailed as exc:
            outcome = f"blocked: {exc}"[:300]
        return {
            "total_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0,
            "outcome": outcome,
        }
    finally:
        with connect(
            admin_url(with_database(server_url, "postgres")), etl_role=False, autocommit=True
        ) as c:
            c.execute(f"drop database if exists {DB} with (force)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--engines", default="pandas,spark,sql,gate")
    args = parser.parse_args()
    quiet_gx()
    t = time.perf_counter()
    import great_expectations  # noqa: F401

    import_s = time.perf_counter() - t
    from tests.synthetic import write_day

    base = config.settings()
    out: dict[str, Any] = {"lines": args.lines, "gx_import_s": import_s}
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        s = dataclasses.replace(base, data_dir=Path(tmp), lake_dir=Path(tmp) / "lake")
        write_day(s.lake_dir, DAY, args.lines)
        complete_day(s, args.lines)
        out["warm_up_s"] = warm_up(s)
        for engine in args.engines.split(","):
            print(f"... {engine}", flush=True)
            if engine == "pandas":
                out[engine] = bench_pandas(s)
            elif engine == "spark":
                out[engine] = bench_spark(s)
            elif engine == "sql":
                out[engine] = bench_sql(s, base.warehouse_url)
            elif engine == "gate":
                out[engine] = bench_gate(s, base.warehouse_url)
    import os

    out["load_average"] = os.getloadavg()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"validate-{args.lines}.json"  # engines run apart merge into one file
    previous = json.loads(path.read_text()) if path.is_file() else {}
    path.write_text(json.dumps({**previous, **out}, indent=2, default=str))
    print(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
