"""retail_microbatch end to end through real Airflow (`airflow dags test`), Kafka, Spark,
GX and Postgres.

The upstream simulator publishes a defect-free day plus its poison messages; the source
then re-delivers the whole day (every event twice). Expected counts come from the
generator's own JSON-lines files for the same seed, never from the pipeline.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from retail_kpi.airflow_env import airflow_env
from retail_kpi.services import spark_connect as service
from tests.integration.checksums import table_checksums

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 2, 3)
VOLUME = {"seed": 11, "orders": 60, "customers": 120, "products": 15}
OPENED = DAY - dt.timedelta(days=30)


def run_dag(env: dict[str, str], logical: str) -> str:
    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_microbatch", logical]
    log = Path(env["RETAIL_DATA_DIR"]) / f"microbatch-{logical.replace(':', '')}.log"
    with log.open("a") as fh:
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    output = log.read_text(errors="replace")
    assert proc.returncode == 0, f"airflow dags test failed, see {log}:\n{output[-4000:]}"
    assert "Marking task as FAILED" not in output, f"a task failed on its way, see {log}"
    return output


def produce(env: dict[str, str]) -> dict:
    """The simulator, in this process, with the test's broker and topic prefix."""
    from simulator.defects import DefectRates
    from simulator.kafka_sim import produce_day

    old = {k: os.environ.get(k) for k in ("RETAIL_KAFKA_TOPIC_PREFIX",)}
    os.environ["RETAIL_KAFKA_TOPIC_PREFIX"] = env["RETAIL_KAFKA_TOPIC_PREFIX"]
    try:
        return produce_day(
            DAY, env["KAFKA_BOOTSTRAP_SERVERS"], **VOLUME, defects=DefectRates.scaled(0),
            opened_on=OPENED, partitions=2,
            manifest_dir=Path(env["RETAIL_DATA_DIR"]) / "simulator",
        )  # fmt: skip
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def env(tmp_path_factory, make_database, kafka_broker) -> dict[str, str]:
    root = tmp_path_factory.mktemp("microbatch")
    environment = airflow_env(
        {
            **os.environ,
            "WAREHOUSE_URL": make_database("rk_it_micro"),
            "RETAIL_DATA_DIR": str(root / "data"),
            "AIRFLOW_HOME": str(root / "airflow"),
            "KAFKA_BOOTSTRAP_SERVERS": kafka_broker,
            "RETAIL_KAFKA_TOPIC_PREFIX": f"m{uuid.uuid4().hex[:6]}.",
            "RETAIL_TASK_RETRIES": "1",
            "RETAIL_RETRY_DELAY_SECONDS": "1",
        },
        dags_test=True,
    )
    (root / "data" / "landing").mkdir(parents=True)
    for cmd in (
        [sys.executable, "-m", "retail_kpi.bootstrap"],
        [sys.executable, "-m", "airflow", "db", "migrate"],
    ):
        proc = subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return environment


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[str, int]:
    """Records per entity of the day, from the generator's files (same seed, no defects)."""
    from simulator import generate_day
    from simulator.defects import DefectRates

    out = tmp_path_factory.mktemp("expected")
    generate_day(DAY, out, **VOLUME, defects=DefectRates.scaled(0), fmt="jsonl", opened_on=OPENED)
    return {
        e: sum(
            1 for f in out.glob(f"{e}/dt=*/*.jsonl") for line in f.read_bytes().splitlines() if line
        )
        for e in ("orders", "order_items")
    }


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        lines = conn.execute(
            "select count(*) from dw.fct_order_line where ingest_date = %s", (DAY,)
        ).fetchone()[0]
        orders = conn.execute(
            "select count(distinct order_id) from dw.fct_order_line where ingest_date = %s",
            (DAY,),
        ).fetchone()[0]
        # the KPI table against plain SQL over the facts (orders not cancelled, per country)
        kpi = conn.execute(
            "select country_code, orders, net_sales_usd from mart.kpi_daily_sales"
            " where sales_date = %s order by 1",
            (DAY,),
        ).fetchall()
        facts = conn.execute(
            "select c.country_code, count(distinct f.order_id), sum(f.net_amount_usd)"
            " from dw.fct_order_line f join dw.dim_country c using (country_key)"
            " where f.order_date = %s and f.order_status <> 'cancelled' group by 1 order by 1",
            (DAY,),
        ).fetchall()
        offsets = conn.execute(
            "select topic, partition, batch_id, start_offset, end_offset, messages"
            " from audit.kafka_offsets order by topic, partition, batch_id"
        ).fetchall()
    return {"lines": lines, "orders": orders, "offsets": offsets, "kpi": kpi, "facts": facts}


def test_a_day_from_kafka_is_loaded_once_through_redelivery_and_rerun(env, expected, spark_connect):
    """The first batch's Spark tasks run through spark-submit, the re-delivered batch's as
    clients of a Spark Connect server (the Kafka source included): the same warehouse."""
    manifest = produce(env)
    sent = sum(t["messages"] for t in manifest["kafka"]["topics"].values())
    run_dag(env, "2026-02-04T00:10:00+00:00")
    first = _counts(env["WAREHOUSE_URL"])
    assert first["lines"] == expected["order_items"]
    assert first["orders"] <= expected["orders"]  # orders without lines have no fact rows
    assert sum(row[5] for row in first["offsets"]) == sent
    assert first["kpi"] == first["facts"] and len(first["kpi"]) == 5  # the five countries

    produce(env)  # the source re-delivers the whole day
    connect = {**env, "AIRFLOW_CONN_SPARK": service.airflow_conn(spark_connect)}
    log = run_dag(connect, "2026-02-04T00:20:00+00:00")
    assert log.count("Spark Connect client: ") == 3  # ingest_kafka, clean_silver, compute_kpis
    second = _counts(env["WAREHOUSE_URL"])
    assert (second["lines"], second["orders"]) == (first["lines"], first["orders"])
    assert second["kpi"] == first["kpi"]  # re-delivered events are not counted again
    # two batches per partition, contiguous: the second starts where the first ended
    by_partition: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for topic, partition, _, start, end, messages in second["offsets"]:
        assert messages == end - start
        by_partition.setdefault((topic, partition), []).append((start, end))
    for ranges in by_partition.values():
        assert ranges[0][0] == 0
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert sum(row[5] for row in second["offsets"]) == 2 * sent

    with psycopg.connect(env["WAREHOUSE_URL"]) as conn:
        before = table_checksums(conn)
    # A run with nothing new records an empty batch and skips everything after the plan.
    # (A cleared task of a run re-reads that run's own batch: test_kafka_microbatch.py.)
    output = run_dag(env, "2026-02-04T00:30:00+00:00")
    assert "no new messages" in output
    with psycopg.connect(env["WAREHOUSE_URL"]) as conn:
        assert table_checksums(conn) == before
        last = conn.execute(
            "select batch_id, status, messages from audit.kafka_batch order by batch_id desc"
        ).fetchone()
    assert last == (3, "ingested", 0)
