"""mart.v_sales_growth_daily: growth of all countries together, N/A against incomplete days.

The KPI rows are written by hand into a freshly migrated database; every expected figure
below is worked out from them on paper.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from retail_kpi.warehouse.migrate import migrate

pytestmark = pytest.mark.integration

T = dt.date(2026, 3, 15)


def day(offset: int) -> dt.date:
    return T - dt.timedelta(days=offset)


#: Net sales per (days before T, country). MEX sold the day before T but not on T; the
#: day two before T is a partial day (only late rows), which the KPI job marks incomplete.
SALES = {
    (0, "USA"): 300,
    (0, "CAN"): 100,
    (1, "USA"): 200,
    (1, "MEX"): 50,
    (2, "USA"): 999,
    (7, "USA"): 100,
    (13, "USA"): 50,
    (364, "USA"): 100,
}
#: kpi_daily_country's windows as the KPI job leaves them: NULL when incomplete.
#: Only T and T-1 have rows here, so only they are in the view.
WINDOWS = {
    # (offset, country): (prev_day, cur_7d, prev_7d, prev_year); values are not used
    (0, "USA"): (1, 1, 1, 1),
    (0, "CAN"): (1, 1, 1, 1),
    (1, "USA"): (None, None, None, None),  # T-2 is partial: every window of T-1 is N/A
    (1, "MEX"): (None, None, None, None),
}


@pytest.fixture(scope="module")
def warehouse(make_database):
    url = make_database("rk_wh_growth")
    migrate(url)
    with psycopg.connect(url) as conn:
        for (offset, country), net in SALES.items():
            conn.execute(
                "insert into mart.kpi_daily_sales values (%s, %s, 1, 1, %s, 0, %s, 0, %s, %s)",
                [day(offset), country, net, net, net, net],
            )
        for (offset, country), (p1, c7, p7, py) in WINDOWS.items():
            conn.execute(
                "insert into mart.kpi_daily_country (sales_date, country_code,"
                " net_sales_prev_day_usd, net_sales_7d_usd, net_sales_prev_7d_usd,"
                " net_sales_prev_year_usd) values (%s, %s, %s, %s, %s, %s)",
                [day(offset), country, p1, c7, p7, py],
            )
        conn.commit()
        yield conn


def test_growth_sums_every_country_of_each_window(warehouse):
    row = warehouse.execute(
        "select net_sales_usd, net_sales_prev_day_usd, net_sales_growth_dod,"
        " net_sales_7d_usd, net_sales_prev_7d_usd, net_sales_growth_wow,"
        " net_sales_prev_year_usd, net_sales_growth_yoy"
        " from mart.v_sales_growth_daily where sales_date = %s",
        [T],
    ).fetchone()
    net, prev_day, dod, cur_7d, prev_7d, wow, prev_year, yoy = row
    assert (net, prev_day) == (400, 250)  # MEX's 50 counts though it sold nothing on T
    assert dod == pytest.approx(400 / 250 - 1)  # 0.6
    assert (cur_7d, prev_7d) == (400 + 250 + 999, 100 + 50)
    assert wow == pytest.approx(1649 / 150 - 1)
    assert (prev_year, yoy) == (100, pytest.approx(3.0))


def test_growth_against_an_incomplete_day_is_null(warehouse):
    row = warehouse.execute(
        "select net_sales_usd, net_sales_prev_day_usd, net_sales_growth_dod,"
        " net_sales_growth_wow, net_sales_growth_yoy"
        " from mart.v_sales_growth_daily where sales_date = %s",
        [day(1)],
    ).fetchone()
    assert row == (250, None, None, None, None)  # not 250 / 999 - 1


def test_only_days_the_kpi_job_computed_are_shown(warehouse):
    days = warehouse.execute(
        "select sales_date from mart.v_sales_growth_daily order by 1"
    ).fetchall()
    assert [d for (d,) in days] == [day(1), T]
