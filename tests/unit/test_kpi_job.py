"""The KPI Spark job on a hand-written silver lake (tests/unit/kpi_lake.py).

Runs the job for D1, then lands D2 with a late order of D1 and runs D2, as the daily DAG
would. Every expected number is computed by hand from the rows in kpi_lake.py; the
comments show the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as Dec
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.unit import kpi_lake as L

REL = 1e-9


def rows(lake: Path, table: str, day: dt.date) -> list[dict[str, Any]]:
    folder = lake / "kpi" / table / f"dt={day.isoformat()}"
    return pq.read_table(folder).to_pylist() if folder.is_dir() else []


def by(rs: list[dict[str, Any]], *keys: str) -> dict[tuple, dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rs}


@pytest.fixture(scope="module")
def lakes(spark, tmp_path_factory) -> dict[str, Any]:
    """Runs D1, snapshots its outputs, then lands D2 (+ late D1 order) and runs D2."""
    from spark_jobs import kpis

    lake = tmp_path_factory.mktemp("kpi_lake")
    L.write_day1(lake / "silver")
    kpis.run(spark, lake, L.D1, "run-d1")
    after_d1 = {
        "daily": rows(lake, "kpi_daily_sales", L.D1),
        "touched": json.loads((lake / "kpi/_touched/dt=2024-03-01.json").read_text()),
    }
    L.write_day2(lake / "silver")
    kpis.run(spark, lake, L.D2, "run-d2")
    return {"lake": lake, "after_d1": after_d1}


def test_first_run_counts_only_on_time_rows(lakes):
    d = by(lakes["after_d1"]["daily"], "country_code")
    assert d[("FRA",)]["orders"] == 1  # O4 only: the late O7 had not landed yet
    assert d[("FRA",)]["net_sales_usd"] == Dec("13.50")
    assert lakes["after_d1"]["touched"]["days"] == ["2024-03-01"]


def test_daily_sales_to_the_cent(lakes):
    d = by(rows(lakes["lake"], "kpi_daily_sales", L.D1), "country_code")
    usa = d[("USA",)]
    # O1, O2, O5 (O3 cancelled): units 2+1+1+1; gross 20+5+10+10; disc 2+0+0+0.01
    assert (usa["orders"], usa["units"]) == (3, 5)
    assert usa["gross_sales_usd"] == Dec("45.00")
    assert usa["discount_usd"] == Dec("2.01")
    assert usa["net_sales_usd"] == Dec("42.99")
    assert usa["cogs_usd"] == Dec("23.00")  # 10+3+5+5
    assert usa["profit_usd"] == Dec("19.99")
    assert usa["avg_order_value_usd"] == Dec("14.33")  # 42.99 / 3
    fra = d[("FRA",)]
    # O4 (refunded counts) + late O7: net 13.50 + 10.00, AOV 23.50 / 2
    assert (fra["orders"], fra["units"]) == (2, 4)
    assert fra["net_sales_usd"] == Dec("23.50")
    assert fra["avg_order_value_usd"] == Dec("11.75")
    assert fra["profit_usd"] == Dec("9.50")  # 4.50 + 5.00
    d2 = by(rows(lakes["lake"], "kpi_daily_sales", L.D2), "country_code")
    assert list(d2) == [("USA",)]
    assert d2[("USA",)]["net_sales_usd"] == Dec("9.50")


def test_orders_per_minute_and_hour(lakes):
    m = by(rows(lakes["lake"], "kpi_orders_per_minute", L.D1), "minute_start", "country_code")
    t10 = L.ts(L.D1, "10:00:00")
    assert m[(t10, "USA")]["orders"] == 2  # O1 10:00:15, O2 10:00:45
    assert m[(t10, "USA")]["units"] == 4
    assert m[(t10, "USA")]["net_sales_usd"] == Dec("33.00")
    assert m[(L.ts(L.D1, "23:59:00"), "USA")]["orders"] == 1
    assert m[(L.ts(L.D1, "12:00:00"), "FRA")]["orders"] == 1  # late O7
    assert len(m) == 4
    h = by(rows(lakes["lake"], "kpi_hourly_sales", L.D1), "hour_start", "country_code")
    usa10 = h[(t10, "USA")]
    assert usa10["orders"] == 2 and usa10["peak_orders_per_minute"] == 2
    assert usa10["avg_orders_per_minute"] == pytest.approx(2 / 60, rel=REL)


def test_daily_country_ratios_customers_growth(lakes):
    d1 = by(rows(lakes["lake"], "kpi_daily_country", L.D1), "country_code")[("USA",)]
    assert d1["units_per_transaction"] == pytest.approx(5 / 3, rel=REL)
    assert d1["profit_margin"] == pytest.approx(19.99 / 42.99, rel=REL)
    assert d1["avg_orders_per_minute"] == pytest.approx(3 / 1440, rel=REL)
    assert d1["peak_orders_per_minute"] == 2
    assert d1["peak_minute_start"] == L.ts(L.D1, "10:00:00")
    assert (d1["customers"], d1["new_customers"], d1["returning_customers"]) == (2, 2, 0)
    assert d1["returned_units"] == 0 and d1["return_rate_units"] == 0.0
    # 2024-02-29 is not in the lake: every comparison is NULL, not 0 and not a crash
    assert d1["net_sales_prev_day_usd"] is None and d1["net_sales_growth_dod"] is None
    assert d1["net_sales_growth_wow"] is None and d1["net_sales_growth_yoy"] is None
    d2 = by(rows(lakes["lake"], "kpi_daily_country", L.D2), "country_code")[("USA",)]
    assert d2["net_sales_prev_day_usd"] == Dec("42.99")
    assert d2["net_sales_growth_dod"] == pytest.approx(9.50 / 42.99 - 1, rel=REL)
    assert (d2["customers"], d2["new_customers"], d2["returning_customers"]) == (1, 0, 1)
    assert d2["returning_customer_rate"] == 1.0
    # R1: 1 unit, 9.00 refunded on D2 against 2 units / 9.50 sold on D2
    assert d2["returned_units"] == 1 and d2["returned_value_usd"] == Dec("9.00")
    assert d2["return_rate_units"] == pytest.approx(0.5, rel=REL)
    assert d2["return_rate_value"] == pytest.approx(9.00 / 9.50, rel=REL)


def test_json_per_date_matches_parquet(lakes):
    lake = lakes["lake"]
    doc = json.loads((lake / "kpi_json/dt=2024-03-01/kpi_daily_sales.json").read_text())
    assert doc["run_id"] == "run-d2" and doc["grain"] == ["sales_date", "country_code"]
    got = {r["country_code"]: r for r in doc["rows"]}
    assert got["USA"]["net_sales_usd"] == 42.99 and got["USA"]["sales_date"] == "2024-03-01"
    assert got["FRA"]["orders"] == 2
    minutes = json.loads((lake / "kpi_json/dt=2024-03-01/kpi_orders_per_minute.json").read_text())
    assert minutes["rows"][0]["minute_start"].endswith("Z")


def test_touched_lists_late_date(lakes):
    doc = json.loads((lakes["lake"] / "kpi/_touched/dt=2024-03-02.json").read_text())
    assert doc["touched"] == ["2024-03-01", "2024-03-02"]
    assert doc["days"] == ["2024-03-01", "2024-03-02"]
    assert doc["months"] == ["2024-03-01"]


def test_a_record_landed_again_counts_once_with_its_latest_copy(spark, tmp_path):
    """O2 of D1 lands again on D2 with 2 units (was 1) for 20.00 (was 10.00): the KPIs of
    D1 count its latest copy once, as the loader does. USA on D1 by hand: O1 18.00 + 5.00,
    O2 20.00, O5 9.99 (O3 cancelled) = 52.99 over 3 orders and 2 + 1 + 2 + 1 = 6 units."""
    from spark_jobs import kpis
    from tests.silver_rows import write_rows

    L.write_day1(tmp_path / "silver")
    again = L.order("O2", "C2", L.D1, "10:00:45", "USA") | {"total_items": 2}
    write_rows(tmp_path / "silver", "orders", [again], ingest=L.D2)
    line = L.line("O2", 1, "P1", L.D1, 2, "20.00", "0.00", "10.00")
    write_rows(tmp_path / "silver", "order_items", [line], ingest=L.D2)
    kpis.run(spark, tmp_path, L.D2, "run-d2")
    usa = by(rows(tmp_path, "kpi_daily_sales", L.D1), "country_code")[("USA",)]
    assert (usa["orders"], usa["units"], usa["net_sales_usd"]) == (3, 6, Dec("52.99"))


def d1_after_day0(spark, lake: Path, landed: dt.date) -> dict[tuple, dict[str, Any]]:
    """Runs D1 with the D0 order landed on ``landed``; D1's rows of kpi_daily_country by
    (country,) and of kpi_daily_category_sales by (category, country)."""
    from spark_jobs import kpis

    L.write_day1(lake / "silver")
    L.write_day0_order(lake / "silver", landed)
    kpis.run(spark, lake, L.D1, "run-d1")
    country = by(rows(lake, "kpi_daily_country", L.D1), "country_code")
    category = by(rows(lake, "kpi_daily_category_sales", L.D1), "category", "country_code")
    return {**country, **category}


def test_growth_against_a_prior_day_of_late_rows_only_is_null(spark, tmp_path):
    """D0's only order (USA, P1 for 10.00) landed late, on D1: D0 is in the lake through it
    alone, so D1's day-over-day growth is NULL, not 42.99 / 10.00 - 1 = +330 %."""
    d1 = d1_after_day0(spark, tmp_path, landed=L.D1)
    for key in [("USA",), ("Tools", "USA"), ("Toys", "USA")]:
        assert d1[key]["net_sales_prev_day_usd"] is None, key
        assert d1[key]["net_sales_growth_dod"] is None, key


def test_growth_against_a_complete_prior_day(spark, tmp_path):
    """The same order landed on D0 itself: D0 is complete. USA 42.99 / 10.00 - 1; USA Tools
    (O1 18.00 + O2 10.00 + O5 9.99) 37.99 / 10.00 - 1; USA Toys sold nothing on D0: prior
    0.00, growth NULL."""
    d1 = d1_after_day0(spark, tmp_path, landed=L.D0)
    assert d1[("USA",)]["net_sales_prev_day_usd"] == Dec("10.00")
    assert d1[("USA",)]["net_sales_growth_dod"] == pytest.approx(42.99 / 10.00 - 1, rel=REL)
    assert d1[("Tools", "USA")]["net_sales_prev_day_usd"] == Dec("10.00")
    tools = d1[("Tools", "USA")]["net_sales_growth_dod"]
    assert tools == pytest.approx(37.99 / 10.00 - 1, rel=REL)
    assert d1[("Toys", "USA")]["net_sales_prev_day_usd"] == Dec("0.00")
    assert d1[("Toys", "USA")]["net_sales_growth_dod"] is None
