"""The clean job end to end on a hand-written landing day (tests/unit/clean_support.py).

Every expected value below was worked out by hand from the CSV rows; nothing is computed
with the code under test. One job run (plus one rerun) serves the whole module.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual

from retail_kpi import schemas
from spark_jobs.pipeline import run_clean
from tests.unit.clean_support import DAY, PREV, write_hand_day

D_DAY, D_PREV = dt.date.fromisoformat(DAY), dt.date.fromisoformat(PREV)

# entity -> (rows_in, clean, quarantined, deduplicated)
EXPECTED_COUNTS = {
    "fx_rates": (6, 4, 1, 1),
    "products": (4, 2, 1, 1),
    "customers": (7, 5, 2, 0),
    "orders": (9, 3, 4, 2),
    "order_items": (11, 4, 6, 1),
    "shipments": (5, 2, 3, 0),
    "returns": (4, 2, 2, 0),
    "inventory": (4, 2, 2, 0),
    "web_sessions": (5, 3, 2, 0),
}
EXPECTED_QUARANTINE = {
    ("fx_rates", "2026-03-10|GBP", "INVALID_VALUE"),
    ("products", "P3", "ABSURD_PRICE"),
    ("customers", "C4", "UNKNOWN_COUNTRY"),
    ("customers", "C7", "MISSING_REQUIRED"),
    ("orders", "O3", "UNKNOWN_COUNTRY"),
    ("orders", "O4", "MALFORMED_LINE"),
    ("orders", "O5", "MALFORMED_LINE"),
    ("orders", "O7", "FUTURE_DATE"),
    ("order_items", "O2|1", "NON_POSITIVE_QUANTITY"),
    ("order_items", "O3|1", "PARENT_QUARANTINED"),
    ("order_items", "O4|1", "PARENT_QUARANTINED"),
    ("order_items", "O9|1", "ORPHAN_KEY"),
    ("order_items", "O6|1", "ORPHAN_KEY"),
    ("order_items", "O6|3", "ABSURD_PRICE"),
    ("shipments", "S2", "PARENT_QUARANTINED"),
    ("shipments", "S3", "ORPHAN_KEY"),
    ("shipments", "S5", "INVALID_VALUE"),
    ("returns", "R3", "NON_POSITIVE_QUANTITY"),
    ("returns", "R4", "INVALID_VALUE"),
    ("inventory", "2026-03-10|W1|P9", "ORPHAN_KEY"),
    ("inventory", "2026-03-10|W1|P2", "INVALID_VALUE"),
    ("web_sessions", "WS4", "INVALID_VALUE"),
    ("web_sessions", "WS5", "BAD_TYPE"),
}


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean_job")
    write_hand_day(root / "landing")
    run_clean(spark, DAY, "run-1", str(root / "landing"), str(root / "lake"))
    return root / "lake"


def silver(spark: SparkSession, lake: Path, entity: str):
    return spark.read.parquet(str(lake / "silver" / entity))


def test_reconciliation_report_balances_with_hand_counts(lake: Path) -> None:
    doc = json.loads((lake / "_audit/clean" / f"dt={DAY}" / "reconciliation.json").read_text())
    assert doc["balanced"] is True and doc["run_id"] == "run-1"
    got = {
        e: (c["rows_in"], c["rows_clean"], c["rows_quarantined"], c["rows_deduplicated"])
        for e, c in doc["entities"].items()
    }
    assert got == EXPECTED_COUNTS


def test_quarantine_has_every_bad_record_with_its_reason(spark: SparkSession, lake: Path) -> None:
    q = spark.read.parquet(str(lake / "quarantine" / "*" / f"dt={DAY}"))
    got = {(r.entity, r.record_key, r.reason_code) for r in q.collect()}
    assert got == EXPECTED_QUARANTINE
    assert q.columns == [c.name for c in schemas.QUARANTINE]
    o5 = q.filter("record_key = 'O5'").first()
    assert o5.source_file == f"orders/dt={DAY}/orders.csv" and o5.source_line == 7
    assert o5.rule.startswith("undecodable bytes") and "\ufffd" in o5.raw_record
    o4 = q.filter("record_key = 'O4'").first()
    assert o4.raw_record == "O4,C1,2026-03-10T12:00:00,USA,USD,web"
    assert o4.rule == "wrong field count: expected 8 fields"


def test_orders_totals_late_routing_and_unknown_customer(spark: SparkSession, lake: Path) -> None:
    got = silver(spark, lake, "orders").select(
        "order_id",
        "customer_id",
        "country_code",
        "currency",
        "channel",
        "fx_usd_per_unit",
        "total_items",
        "total_amount_local",
        "total_amount_usd",
        "is_late",
        "dt",
        "ingest_dt",
    )
    expected = [
        Row(
            "O1",
            "C1",
            "USA",
            "USD",
            "web",
            D("1.00000000"),
            3,
            D("288.00"),
            D("288.00"),
            False,
            D_DAY,
            D_DAY,
        ),
        Row(
            "O2",
            "UNKNOWN",
            "USA",
            "USD",
            "mobile",
            D("1.00000000"),
            3,
            D("52.80"),
            D("52.80"),
            True,
            D_PREV,
            D_DAY,
        ),
        Row(
            "O6",
            "C3",
            "FRA",
            "EUR",
            "store",
            D("1.10000000"),
            1,
            D("16.36"),
            D("18.00"),
            False,
            D_DAY,
            D_DAY,
        ),
    ]
    assertDataFrameEqual(got, expected)
    assert (lake / "silver/orders" / f"dt={PREV}" / f"ingest_dt={DAY}").is_dir()


def test_order_item_money_columns(spark: SparkSession, lake: Path) -> None:
    got = silver(spark, lake, "order_items").select(
        "order_id",
        "line_number",
        "discount_band",
        "gross_amount_local",
        "discount_amount_local",
        "net_amount_local",
        "gross_amount_usd",
        "discount_amount_usd",
        "net_amount_usd",
        "cogs_usd",
        "profit_usd",
        "dt",
    )
    expected = [
        Row(
            "O1",
            1,
            "Medium",
            D("40.00"),
            D("2.00"),
            D("38.00"),
            D("40.00"),
            D("2.00"),
            D("38.00"),
            D("20.00"),
            D("18.00"),
            D_DAY,
        ),
        Row(
            "O1",
            2,
            "None",
            D("250.00"),
            D("0.00"),
            D("250.00"),
            D("250.00"),
            D("0.00"),
            D("250.00"),
            D("100.00"),
            D("150.00"),
            D_DAY,
        ),
        Row(
            "O2",
            2,
            "High",
            D("60.00"),
            D("7.20"),
            D("52.80"),
            D("60.00"),
            D("7.20"),
            D("52.80"),
            D("30.00"),
            D("22.80"),
            D_PREV,
        ),
        # 18.18 EUR at 1.10: 19.998 -> 20.00; discount 1.818 -> 1.82 local, 1.9998 -> 2.00 USD
        Row(
            "O6",
            2,
            "High",
            D("18.18"),
            D("1.82"),
            D("16.36"),
            D("20.00"),
            D("2.00"),
            D("18.00"),
            D("10.00"),
            D("8.00"),
            D_DAY,
        ),
    ]
    assertDataFrameEqual(got, expected)


def test_customers_ages_emails_countries(spark: SparkSession, lake: Path) -> None:
    got = silver(spark, lake, "customers").select(
        "customer_id",
        "email",
        "is_email_valid",
        "age",
        "is_age_imputed",
        "age_group",
        "segment",
        "country_code",
    )
    expected = [
        Row("C1", "ann@example.com", True, 30, False, "25-34", "Consumer", "USA"),
        # USA median of 30 and 34 = 32; malformed email kept as NULL
        Row("C2", None, False, 32, True, "25-34", "Enterprise", "USA"),
        Row("C3", "cy@example.fr", True, 41, False, "35-44", "Government", "FRA"),
        Row("C5", "ed@example.com", True, 34, False, "25-34", "Consumer", "USA"),
        Row("C6", "fi@example.fr", True, 41, True, "35-44", "Consumer", "FRA"),
    ]
    assertDataFrameEqual(got, expected)


def test_shipments_returns_inventory_sessions(spark: SparkSession, lake: Path) -> None:
    ships = silver(spark, lake, "shipments").select(
        "shipment_id", "days_to_ship", "days_to_deliver", "is_on_time", "shipping_cost_usd"
    )
    assertDataFrameEqual(
        ships,
        [
            Row("S1", D("0.08"), D("0.42"), True, D("5.00")),
            Row("S4", D("0.04"), None, None, D("4.40")),
        ],
    )
    rets = silver(spark, lake, "returns").select(
        "return_id", "country_code", "reason", "refund_amount_usd"
    )
    assertDataFrameEqual(
        rets,
        [
            Row("R1", "USA", "damaged", D("19.00")),
            Row("R2", "FRA", "Unspecified", D("18.00")),
        ],
    )
    inv = silver(spark, lake, "inventory").select(
        "warehouse_id", "product_id", "country_code", "is_low_stock", "is_stock_out"
    )
    assertDataFrameEqual(
        inv, [Row("W1", "P1", "USA", True, False), Row("W2", "P2", "MEX", True, True)]
    )
    ses = silver(spark, lake, "web_sessions").select("session_id", "customer_id")
    assertDataFrameEqual(ses, [Row("WS1", "C1"), Row("WS2", None), Row("WS3", "UNKNOWN")])


def test_silver_columns_are_the_contract(spark: SparkSession, lake: Path) -> None:
    for entity, columns in schemas.SILVER.items():
        leaf = next((lake / "silver" / entity).glob("dt=*/ingest_dt=*"))
        assert spark.read.parquet(str(leaf)).columns == [c.name for c in columns], entity


def test_duplicate_log_names_the_kept_line(spark: SparkSession, lake: Path) -> None:
    dups = spark.read.parquet(str(lake / "_audit/clean" / f"dt={DAY}" / "duplicates" / "*"))
    got = {
        (r.entity, r.record_key, r.duplicate_kind, r.source_line, r.kept_source_line)
        for r in dups.collect()
    }
    assert got == {
        ("fx_rates", "2026-03-10|USD", "exact", 7, 2),
        ("products", "P1", "superseded", 5, 2),  # an older version (updated_at) of the row kept
        ("orders", "O1", "exact", 3, 2),
        ("orders", "O6", "near", 9, 8),
        ("order_items", "O6|2", "near", 11, 9),
    }


def test_rerun_replaces_instead_of_appending(spark: SparkSession, lake: Path) -> None:
    landing = lake.parent / "landing"
    doc = run_clean(spark, DAY, "run-2", str(landing), str(lake))
    assert doc["balanced"] and doc["entities"]["orders"]["rows_clean"] == 3
    assert silver(spark, lake, "orders").count() == 3
    q = spark.read.parquet(str(lake / "quarantine" / "orders" / f"dt={DAY}"))
    assert {r.run_id for r in q.collect()} == {"run-2"}
