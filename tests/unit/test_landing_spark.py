"""The Spark clean job applies the landing contract (retail_kpi/landing.py) to what it lists
through Hadoop's file system: mixed CSV + JSON lines both ingested, unknown files fail,
unknown folders are logged, and the done-marker is checked. Expected counts are counted
from the hand-written files here, never with the code under test."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual

from retail_kpi import landing
from spark_jobs.ingest import LandingError, ingest_entity
from spark_jobs.pipeline import Lake, ingest_all, landing_files
from tests.unit.clean_support import DAY, write_landing

ORDERS_CSV_ROWS = [
    ["O1", "C1", f"{DAY}T10:00:00", "USA", "USD", "web", "paypal", "completed"],
    ["O2", "C2", f"{DAY}T11:00:00", "CAN", "CAD", "store", "cash", "completed"],
]
ORDERS_JSONL = (
    b'{"order_id":"O3","customer_id":"C3","order_ts":"' + DAY.encode() + b'T12:00:00",'
    b'"country":"FRA","currency":"EUR","channel":"web","payment_method":"paypal",'
    b'"status":"completed"}\n'
    b'{"order_id":"O4","customer_id":"C4"}\n'  # keys missing: one malformed line
)


def _mixed_orders(root: Path) -> tuple[Path, Path]:
    csv_path = write_landing(root, "orders", DAY, ORDERS_CSV_ROWS)
    jsonl_path = csv_path.parent / "late.jsonl"
    jsonl_path.write_bytes(ORDERS_JSONL)
    return csv_path, jsonl_path


def _data_lines(csv_path: Path, jsonl_path: Path) -> int:
    """Counted independently: CSV lines minus the header, plus every JSON line."""
    csv_lines = csv_path.read_bytes().count(b"\n") - 1
    return csv_lines + jsonl_path.read_bytes().count(b"\n")


def test_mixed_csv_and_json_lines_are_both_ingested(spark: SparkSession, tmp_path: Path) -> None:
    csv_path, jsonl_path = _mixed_orders(tmp_path)
    selection = landing_files(spark, str(tmp_path), DAY)
    assert selection.files["orders"] == [
        (f"orders/dt={DAY}/late.jsonl", "jsonl"),
        (f"orders/dt={DAY}/orders.csv", "csv"),
    ]
    sources = [(f"{tmp_path}/{rel}", fmt) for rel, fmt in selection.files["orders"]]
    bronze, rows_in = ingest_entity(spark, sources, "orders")
    assert rows_in == _data_lines(csv_path, jsonl_path) == 4
    got = bronze.select("order_id", "_source_file", "_source_line", "_parse_error")
    wrong = "wrong field count: expected the 8 contract fields"
    assertDataFrameEqual(
        got,
        [
            Row("O1", f"orders/dt={DAY}/orders.csv", 2, None),
            Row("O2", f"orders/dt={DAY}/orders.csv", 3, None),
            Row("O3", f"orders/dt={DAY}/late.jsonl", 1, None),
            Row(None, f"orders/dt={DAY}/late.jsonl", 2, wrong),
        ],
    )


def test_ingest_all_writes_both_formats_to_bronze(spark: SparkSession, tmp_path: Path) -> None:
    csv_path, jsonl_path = _mixed_orders(tmp_path / "landing")
    lake = Lake(str(tmp_path / "lake"), DAY)
    rows_in = ingest_all(spark, str(tmp_path / "landing"), lake)
    assert rows_in["orders"] == _data_lines(csv_path, jsonl_path)
    assert spark.read.parquet(lake.bronze("orders")).count() == rows_in["orders"]
    assert rows_in["customers"] == 0


def test_an_unknown_file_in_an_entity_folder_fails_the_job_naming_it(
    spark: SparkSession, tmp_path: Path
) -> None:
    csv_path, _ = _mixed_orders(tmp_path / "landing")
    (csv_path.parent / "notes.txt").write_text("remember the milk\n")
    lake = Lake(str(tmp_path / "lake"), DAY)
    with pytest.raises(LandingError, match=rf"unexpected file orders/dt={DAY}/notes\.txt"):
        ingest_all(spark, str(tmp_path / "landing"), lake)


def test_an_unknown_folder_is_logged_not_read(
    spark: SparkSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _mixed_orders(tmp_path)
    stray = tmp_path / "ordres" / f"dt={DAY}"
    stray.mkdir(parents=True)
    (stray / "orders.csv").write_bytes(b"order_id\n")
    (tmp_path / "_manifest").mkdir()
    with caplog.at_level(logging.WARNING, logger="retail_kpi.landing"):
        selection = landing_files(spark, str(tmp_path), DAY)
    assert selection.unknown_folders == ["ordres"]
    assert "ordres" in caplog.text and "_manifest" not in caplog.text
    assert all("ordres" not in rel for rel in selection.counted())


def test_the_marker_is_checked_naming_missing_and_truncated_files(
    spark: SparkSession, tmp_path: Path
) -> None:
    csv_path, jsonl_path = _mixed_orders(tmp_path)
    sizes = {
        f"orders/dt={DAY}/orders.csv": csv_path.stat().st_size,
        f"orders/dt={DAY}/late.jsonl": jsonl_path.stat().st_size,
    }
    landing.write_marker(tmp_path, DAY, sizes)
    assert landing_files(spark, str(tmp_path), DAY).counted() == sorted(sizes)
    landing.write_marker(tmp_path, DAY, {**sizes, f"returns/dt={DAY}/returns.csv": 10})
    with pytest.raises(LandingError, match=rf"missing: returns/dt={DAY}/returns\.csv"):
        landing_files(spark, str(tmp_path), DAY)
    landing.write_marker(tmp_path, DAY, sizes)
    jsonl_path.write_bytes(ORDERS_JSONL[:50])  # truncated after the marker was written
    with pytest.raises(LandingError, match=rf"late\.jsonl \(50 of {len(ORDERS_JSONL)} bytes\)"):
        landing_files(spark, str(tmp_path), DAY)
