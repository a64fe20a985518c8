"""Keys resolve against what the lake already knows, not only today's snapshot (issue 24,
item 8).

PREV lands products P1, P2 and customer C1 clean. DAY lands P1 again but P2 with a control
character, and C1 with a NUL, so both are quarantined today. Their order line, inventory
row and order must still resolve: P2 and C1 are known from PREV's snapshot (the warehouse's
dimensions have them current). Before, the line and the inventory row were quarantined as
ORPHAN_KEY "product_id not in the product snapshot" and the order lost its customer
(UNKNOWN). Expected values by hand; two real clean runs.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs.pipeline import run_clean
from tests.unit.clean_support import DAY, PREV, PRODUCTS, fx_rows, write_landing

P2_PREV = ["P2", "Velo", "Bikes", "City", "Acme", "80.00", "250.00", f"{PREV}T01:00:00"]


def _customer(cid: str, last: str, day: str) -> list[str]:
    return [cid, "Ann", last, f"{cid.lower()}@example.com", "30", "F", "Consumer", "USA",
            "Austin", "1 Main St", "2025-01-01", f"{day}T02:00:00"]  # fmt: skip


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("known_keys")
    landing = root / "landing"
    write_landing(landing, "fx_rates", PREV, fx_rows(PREV))
    write_landing(landing, "products", PREV, [PRODUCTS[0], P2_PREV])
    write_landing(landing, "customers", PREV, [_customer("C1", "Lee", PREV)])
    run_clean(spark, PREV, "run-prev", str(landing), str(root / "lake"))

    write_landing(landing, "fx_rates", DAY, fx_rows(DAY))
    bad_p2 = ["P2", "Velo", "Bikes", "City", "Ac\x07me", "100.00", "250.00", f"{DAY}T01:00:00"]
    write_landing(landing, "products", DAY, [PRODUCTS[0], bad_p2])
    write_landing(landing, "customers", DAY, [_customer("C1", "Le\x00e", DAY)])
    write_landing(
        landing,
        "orders",
        DAY,
        [["O1", "C1", f"{DAY}T10:00:00", "USA", "USD", "web", "card", "completed"]],
    )
    write_landing(landing, "order_items", DAY, [["O1", "1", "P2", "2", "250.00", "0"]])
    write_landing(landing, "inventory", DAY, [[DAY, "USA", "W1", "P2", "5", "10", "8"]])
    doc = run_clean(spark, DAY, "run-day", str(landing), str(root / "lake"))
    assert doc["balanced"]
    return root / "lake"


def _rows(spark: SparkSession, lake: Path, layer: str, entity: str) -> list:
    path = lake / layer / entity / (f"dt={DAY}" if layer == "quarantine" else "")
    return spark.read.parquet(str(path)).collect() if path.exists() else []


def test_todays_quarantined_snapshot_rows_stay_quarantined(spark, lake) -> None:
    reasons = {
        (e, r.record_key, r.reason_code)
        for e in ("products", "customers", "order_items", "inventory", "orders")
        for r in _rows(spark, lake, "quarantine", e)
    }
    assert reasons == {
        ("products", "P2", "CONTROL_CHARACTER"),
        ("customers", "C1", "CONTROL_CHARACTER"),
    }


def test_a_line_of_a_product_known_from_an_earlier_snapshot_is_clean(spark, lake) -> None:
    (line,) = [r for r in _rows(spark, lake, "silver", "order_items") if r.order_id == "O1"]
    assert line.product_id == "P2"
    # cost from PREV's P2 (80.00 a unit; today's row, 100.00, was quarantined): 2 x 80
    assert line.cogs_usd == D("160.00")
    (stock,) = _rows(spark, lake, "silver", "inventory")
    assert (stock.product_id, stock.on_hand) == ("P2", 5)


def test_an_order_of_a_customer_known_from_an_earlier_snapshot_keeps_them(spark, lake) -> None:
    (order,) = _rows(spark, lake, "silver", "orders")
    assert order.customer_id == "C1"
