"""A bulk history drop through the clean job (real Spark): the records of its window are
history, not late arrivals too old to accept (the limit is 90 days), the reconciliation
report carries the window, and the KPI job counts its days as complete.

Expected counts come from the drop's files (data lines per file), never from the job.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.dataset as ds

from retail_kpi.kpi import windows
from simulator import DefectRates
from simulator.history import generate_history
from spark_jobs.pipeline import run_clean

#: 93 days landed on the last: the first two are more than 90 days before it.
FIRST, LAST = dt.date(2026, 5, 1), dt.date(2026, 8, 1)
VOLUME = {"seed": 3, "orders": 20, "customers": 30, "products": 5}


def data_lines(folder: Path) -> dict[str, int]:
    """Business day -> data lines of the day's file in a drop folder (``<entity>-D.csv``)."""
    return {
        f.stem.split("-", 1)[1]: f.read_bytes().count(b"\n") - 1 for f in sorted(folder.glob("*"))
    }


def test_a_bulk_history_drop_is_cleaned_whole_and_its_days_are_complete(spark, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    generate_history(FIRST, LAST, landing, **VOLUME, defects=DefectRates.scaled(0), opened_on=FIRST)
    report = run_clean(spark, LAST.isoformat(), "history-test", str(landing), str(lake))

    assert report["history"] == {"from": FIRST.isoformat(), "to": LAST.isoformat()}
    for entity, counts in report["entities"].items():
        assert counts["rows_quarantined"] == 0, (entity, counts["by_reason"])
    orders = data_lines(landing / "orders" / f"dt={LAST}")
    assert len(orders) == (LAST - FIRST).days + 1 and min(orders.values()) > 0
    silver = ds.dataset(lake / "silver" / "orders", partitioning="hive").to_table()
    per_day = silver.group_by("dt").aggregate([("order_id", "count")]).to_pylist()
    assert {str(r["dt"]): r["order_id_count"] for r in per_day} == orders
    every_day = {FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)}
    assert windows.complete_days(lake / "silver") == every_day
