"""Key lookups and small pure helpers of the loader, on hand-written values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from retail_kpi.load.dims import new_versions
from retail_kpi.load.keys import CodeMap, IdIndex, VersionIndex, timestamps_us
from retail_kpi.load.partitions import day_name, month_name
from retail_kpi.load.silver import latest_per_key
from tests.synthetic import money

T0 = 1_700_000_000_000_000  # an instant, in microseconds


@pytest.fixture
def versions() -> VersionIndex:
    # A: three versions from T0, T0+100, T0+200 (keys 10, 11, 12); B: one from T0+50 (20).
    return VersionIndex.build(
        ["A", "B", "A", "A"], [T0 + 200, T0 + 50, T0, T0 + 100], [12, 20, 10, 11]
    )


def test_version_valid_at_each_instant(versions):
    ids = pa.array(["A", "A", "A", "A", "A", "B", "B", "Z", None])
    at = np.array([T0, T0 + 99, T0 + 100, T0 + 150, T0 + 10**9, T0 + 50, T0 + 60, T0, T0])
    assert versions.lookup(ids, at).tolist() == [10, 10, 11, 11, 12, 20, 20, -1, -1]


def test_instant_before_the_first_version_takes_the_first(versions):
    assert versions.lookup(pa.array(["A", "B"]), np.array([T0 - 5, T0])).tolist() == [10, 20]


def test_empty_inputs():
    empty = VersionIndex.build([], [], [])
    assert empty.lookup(pa.array(["A"]), np.array([T0])).tolist() == [-1]
    assert (
        VersionIndex.build(["A"], [T0], [1])
        .lookup(pa.array([], pa.string()), np.array([], np.int64))
        .tolist()
        == []
    )


@pytest.mark.parametrize("keep_table_from", [1, 10**9], ids=["kept-table", "index_in"])
def test_id_positions_by_hand(monkeypatch, keep_table_from):
    monkeypatch.setattr("retail_kpi.load.keys.KEEP_TABLE_FROM", keep_table_from)
    orders = IdIndex(pa.chunked_array([["O3", "O1"], ["O7"]]))
    items = pa.chunked_array([["O1", "O7", "O9"], [None, "O3", "O1"]])
    got = orders.positions(items)
    assert got.type == pa.int32()
    assert got.to_pylist() == [1, 2, None, None, 0, 1]
    assert IdIndex(pa.array([], pa.string())).positions(pa.array(["O1"])).to_pylist() == [None]


@pytest.mark.parametrize("keep_table_from", [1, 10**9], ids=["kept-table", "index_in"])
def test_repeated_ids_are_refused(monkeypatch, keep_table_from):
    monkeypatch.setattr("retail_kpi.load.keys.KEEP_TABLE_FROM", keep_table_from)
    with pytest.raises(ValueError, match="order ids of 2024-03-01 repeat: 3 rows, 2 distinct"):
        IdIndex(pa.array(["O1", "O2", "O1"]), "order ids of 2024-03-01")


def test_code_map():
    countries = CodeMap(pa.array(["USA", "FRA"]), np.array([1, 3]))
    assert countries.lookup(pa.array(["FRA", "USA", "XXX", None])).tolist() == [3, 1, -1, -1]


def test_timestamps_of_any_unit_become_utc_microseconds():
    ns = pa.array([1_700_000_000_123_456_000], pa.timestamp("ns"))
    aware = pa.array([dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC"))
    assert timestamps_us(ns).tolist() == [1_700_000_000_123_456]
    assert timestamps_us(aware).tolist() == [1_709_287_200_000_000]  # 2024-03-01T10:00Z


def test_latest_ingest_wins_per_key():
    t = pa.table(
        {
            "order_id": ["O1", "O2", "O1", "O3", "O2"],
            "line_number": [1, 1, 1, 1, 2],
            "qty": [1, 2, 3, 4, 5],
            "ingest_date": pa.array([dt.date(2024, 3, d) for d in (1, 1, 2, 1, 1)], pa.date32()),
        }
    )
    out = latest_per_key(t, ("order_id", "line_number"))
    assert sorted(zip(out["order_id"].to_pylist(), out["line_number"].to_pylist(),
                      out["qty"].to_pylist(), strict=True)) == [
        ("O1", 1, 3), ("O2", 1, 2), ("O2", 2, 5), ("O3", 1, 4)
    ]  # fmt: skip


def test_only_unseen_versions_are_sent():
    at = pa.array([dt.datetime(2024, 3, 1, tzinfo=dt.UTC)] * 3, pa.timestamp("us", tz="UTC"))
    snapshot = pa.table({"customer_id": ["C1", "C2", "C3"], "updated_at": at})
    known = pa.array(["C1|1709251200000000", "C2|1"])  # C1 at exactly 2024-03-01T00:00Z
    assert new_versions(snapshot, "customer_id", known)["customer_id"].to_pylist() == ["C2", "C3"]


def test_partition_names():
    day = dt.date(2024, 3, 5)
    assert month_name("fct_order_line", day) == "fct_order_line_y2024m03"
    assert day_name("fct_order_line", day) == "fct_order_line_y2024m03d05"


def test_money_is_exact_decimal():
    assert money(np.array([123, -5, 0])).to_pylist() == [
        Decimal("1.23"),
        Decimal("-0.05"),
        Decimal("0.00"),
    ]
    assert money(np.array([108_000_000]), 8).to_pylist() == [Decimal("1.08000000")]
