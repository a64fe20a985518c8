"""The clean job on values that used to stop a whole date: overflowing numbers and
control characters (issue 24, items 4 and 5).

Each bad record must be quarantined with its reason, file and line, every other record
must reach silver, and the counts must reconcile. Before the range checks, the
unit_price of 10^12, the 10^13 line amount, the 10^11 FX rate, the 10^13 shipping cost
and refund and the 100,000 promised days each failed the job with an ANSI overflow
naming no record; a NUL reached silver and failed the load's COPY. One landing day,
one job run for the module; every expected value is worked out by hand below.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from retail_kpi.cleaning import rules
from spark_jobs.pipeline import run_clean
from tests.unit.clean_support import DAY, PREV, PRODUCTS, fx_rows, write_landing

CONTROL = "contains a control character (C0 other than tab, LF, CR; or DEL)"


def _customer(cid: str, first: str, last: str, country: str, city: str, address: str) -> list:
    return [cid, first, last, f"{cid.lower()}@example.com", "30", "F", "Consumer", country,
            city, address, "2025-01-01", f"{DAY}T02:00:00"]  # fmt: skip


def write_bad_values_day(root: Path) -> None:
    write_landing(root, "fx_rates", DAY, [*fx_rows(DAY), [PREV, "EUR", "100000000000"]])
    write_landing(
        root,
        "products",
        DAY,
        [*PRODUCTS, ["P3", "Tandem", "Bikes", "Road", "Ac\x7fme", "10.00", "20.00",
                     f"{DAY}T01:00:00"]],
    )  # fmt: skip
    write_landing(
        root,
        "customers",
        DAY,
        [
            _customer("C1", "Ann", "Lee", "USA", "Austin", "1\tMain St"),  # tab: kept, squashed
            _customer("C2", "Bo", "Kim\x0b", "MEX", "Puebla", "2 Calle"),  # trailing VT: trimmed
            _customer("C3", "Cy\x00", "Roy", "USA", "Reno", "3 Oak"),  # NUL
            _customer("C4", "Di", "Fox", "USA", "\x1b[31mDallas", "4 Elm"),  # ESC
        ],
    )
    write_landing(
        root,
        "orders",
        DAY,
        [
            ["O1", "C1", f"{DAY}T10:00:00", "USA", "USD", "web", "card", "completed"],
            ["O2", "C2", f"{DAY}T11:00:00", "MEX", "MXN", "store", "cash", "completed"],
        ],
    )
    write_landing(
        root,
        "order_items",
        DAY,
        [
            ["O1", "1", "P1", "2", "20.00", "0"],  # line 2: clean
            ["O1", "2", "P1", "1", "1000000000000", "0"],  # 3: the unit price
            ["O1", "3", "P1", "99999999999", "20.00", "0"],  # 4: beyond an int
            ["O1", "4", "P1", "2000000", "20.00", "0"],  # 5: an int, above MAX_QUANTITY
            ["O1", "5000", "P1", "1", "20.00", "0"],  # 6: line number above 1000
            ["O2", "1", "P2", "1000000", "9999999.99", "0"],  # 7: q x price ~ 10^13
            ["O2", "2", "P1", "1", "400.00", "0"],  # 8: clean, 400 MXN = 20 USD
        ],
    )
    write_landing(
        root,
        "shipments",
        DAY,
        [
            ["S1", "O1", "UPS", "100000", f"{DAY}T12:00:00", f"{DAY}T20:00:00", "5.00"],
            ["S2", "O1", "UPS", "3", f"{DAY}T12:00:00", "", "10000000000000"],
        ],
    )
    write_landing(
        root,
        "returns",
        DAY,
        [
            ["R1", "O1", "1", "P1", f"{DAY}T15:00:00", "1", "damaged", "19.00"],
            ["R2", "O1", "1", "P1", f"{DAY}T15:00:00", "1", "damaged", "10000000000000"],
            ["R3", "O1", "1", "P1", f"{DAY}T15:00:00", "5000000", "damaged", "19.00"],
        ],
    )
    write_landing(root, "inventory", DAY, [[DAY, "USA", "W1", "P1", "5", "10", "8"]])
    # JSON lines: the NUL arrives escaped and is decoded by the parser.
    sessions = root / "web_sessions" / f"dt={DAY}"
    sessions.mkdir(parents=True)
    base = {"country": "USA", "channel": "web", "session_start_ts": f"{DAY}T09:00:00",
            "duration_s": "60", "pages_viewed": "2", "added_to_cart": "false",
            "converted": "false"}  # fmt: skip
    lines = [
        json.dumps({"session_id": "WS1", "customer_id": "C1", **base}),
        json.dumps({"session_id": "WS2", "customer_id": "C1\u0000", **base}),
    ]
    (sessions / "web_sessions.jsonl").write_text("\n".join(lines) + "\n")


# entity -> (rows_in, clean, quarantined, deduplicated)
EXPECTED_COUNTS = {
    "fx_rates": (5, 4, 1, 0),
    "products": (3, 2, 1, 0),
    "customers": (4, 2, 2, 0),
    "orders": (2, 2, 0, 0),
    "order_items": (7, 2, 5, 0),
    "shipments": (2, 1, 1, 0),
    "returns": (3, 1, 2, 0),
    "inventory": (1, 1, 0, 0),
    "web_sessions": (2, 1, 1, 0),
}
_CSV = "{0}/dt=" + DAY + "/{0}.csv"
#: (entity, record key, reason, rule, source file, source line); the header is line 1.
EXPECTED_QUARANTINE = {
    ("fx_rates", f"{PREV}|EUR", "INVALID_VALUE", "usd_per_unit above 100", "fx_rates", 6),
    ("products", "P3", "CONTROL_CHARACTER", f"brand {CONTROL}", "products", 4),
    ("customers", "C3", "CONTROL_CHARACTER", f"first_name {CONTROL}", "customers", 4),
    ("customers", "C4", "CONTROL_CHARACTER", f"city {CONTROL}", "customers", 5),
    ("order_items", "O1|2", "ABSURD_PRICE", "unit_price above 10000000000", "order_items", 3),
    ("order_items", "O1|3", "BAD_TYPE", "quantity is not a valid int", "order_items", 4),
    ("order_items", "O1|4", "INVALID_VALUE", "quantity above 1000000", "order_items", 5),
    ("order_items", "O1|5000", "INVALID_VALUE", "line_number above 1000", "order_items", 6),
    ("order_items", "O2|1", "INVALID_VALUE", "quantity x unit_price above 10000000000",
     "order_items", 7),
    ("shipments", "S2", "INVALID_VALUE", "shipping_cost above 10000000000", "shipments", 3),
    ("returns", "R2", "INVALID_VALUE", "refund_amount above 10000000000", "returns", 3),
    ("returns", "R3", "INVALID_VALUE", "quantity above 1000000", "returns", 4),
}  # fmt: skip


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean_bad_values")
    write_bad_values_day(root / "landing")
    run_clean(spark, DAY, "run-bad", str(root / "landing"), str(root / "lake"))
    return root / "lake"


def _silver(spark: SparkSession, lake: Path, entity: str, *cols: str) -> list[tuple]:
    rows = spark.read.parquet(str(lake / "silver" / entity)).select(*cols).collect()
    return sorted(tuple(r) for r in rows)


def test_counts_reconcile_with_every_bad_record_set_aside(lake: Path) -> None:
    doc = json.loads((lake / "_audit/clean" / f"dt={DAY}" / "reconciliation.json").read_text())
    got = {
        e: (c["rows_in"], c["rows_clean"], c["rows_quarantined"], c["rows_deduplicated"])
        for e, c in doc["entities"].items()
    }
    assert got == EXPECTED_COUNTS
    assert doc["balanced"] is True


def test_each_bad_record_is_quarantined_with_reason_file_and_line(
    spark: SparkSession, lake: Path
) -> None:
    q = spark.read.parquet(str(lake / "quarantine" / "*" / f"dt={DAY}")).collect()
    got = {(r.entity, r.record_key, r.reason_code, r.rule, r.source_file, r.source_line) for r in q}
    csv_rows = {(*row[:4], _CSV.format(row[4]), row[5]) for row in EXPECTED_QUARANTINE}
    ws2 = ("web_sessions", "WS2", "CONTROL_CHARACTER", f"customer_id {CONTROL}",
           f"web_sessions/dt={DAY}/web_sessions.jsonl", 2)  # fmt: skip
    assert got == csv_rows | {ws2}
    nul = next(r for r in q if r.record_key == "C3")
    assert "Cy\x00" in nul.raw_record  # kept whole, to be fixed and replayed


def test_good_records_reach_silver_with_hand_computed_amounts(
    spark: SparkSession, lake: Path
) -> None:
    # 2 x 20.00 USD; 1 x 400.00 MXN at 0.05 = 20.00 USD; COGS 2 x 10.00 and 1 x 10.00.
    assert _silver(spark, lake, "order_items", "order_id", "line_number", "gross_amount_local",
                   "net_amount_usd", "cogs_usd", "profit_usd") == [
        ("O1", 1, D("40.00"), D("40.00"), D("20.00"), D("20.00")),
        ("O2", 2, D("400.00"), D("20.00"), D("10.00"), D("10.00")),
    ]  # fmt: skip
    assert _silver(spark, lake, "orders", "order_id", "total_items", "total_amount_local",
                   "total_amount_usd") == [
        ("O1", 2, D("40.00"), D("40.00")),
        ("O2", 1, D("400.00"), D("20.00")),
    ]  # fmt: skip
    # 100,000 promised days no longer overflow an int: delivered 10 h after the order.
    assert _silver(spark, lake, "shipments", "shipment_id", "promised_days", "is_on_time",
                   "days_to_ship", "days_to_deliver") == [
        ("S1", 100_000, True, D("0.08"), D("0.42")),
    ]  # fmt: skip
    assert _silver(spark, lake, "returns", "return_id", "refund_amount_usd") == [("R1", D("19.00"))]
    assert _silver(spark, lake, "fx_rates", "currency", "usd_per_unit") == [
        ("CAD", D("0.75000000")),
        ("EUR", D("1.10000000")),
        ("MXN", D("0.05000000")),
        ("USD", D("1.00000000")),
    ]
    assert _silver(spark, lake, "web_sessions", "session_id") == [("WS1",)]


def test_tab_and_trimmed_controls_are_not_quarantined(spark: SparkSession, lake: Path) -> None:
    # Tab is ordinary whitespace (names collapse it to a space); a control character at
    # a value's end is trimmed like any whitespace, so nothing of it reaches silver.
    assert _silver(spark, lake, "customers", "customer_id", "last_name", "address") == [
        ("C1", "Lee", "1 Main St"),
        ("C2", "Kim", "2 Calle"),
    ]
    assert _silver(spark, lake, "products", "product_id") == [("P1",), ("P2",)]


def test_limits_fit_every_type_they_protect() -> None:
    """The arithmetic behind rules.py's limits, so a change to one is checked."""
    money_max = D(10) ** 16  # decimal(18,2)
    line_usd = rules.MAX_AMOUNT_LOCAL * rules.MAX_FX_RATE
    assert D(10) ** 12 > rules.MAX_AMOUNT_LOCAL  # line_amounts' decimal(22,10) and (18,6)
    assert D(10) ** 7 > rules.MAX_FX_RATE  # line_amounts' decimal(15,8)
    assert line_usd * rules.MAX_LINES_PER_ORDER < money_max  # an order's total_amount_usd
    assert rules.MAX_QUANTITY * rules.MAX_LINES_PER_ORDER < 2**31  # its total_items
    assert money_max > rules.MAX_QUANTITY * rules.MAX_PRICE_USD  # cogs_usd
