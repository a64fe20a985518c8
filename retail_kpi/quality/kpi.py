"""KPI gate: the KPI tables the Spark job wrote to the lake, before they are loaded.

The DAG validates KPIs *before* ``load_warehouse``, so a bad KPI never reaches the
executive dashboards. The days to check are the ones the KPI job recomputed for this run
(``lake/kpi/_touched/dt=<date>.json``). Daily sales are reconciled with silver: the net
sales of each (day, country) are recomputed here from the silver order lines (latest
ingest of each line, cancelled orders excluded) and compared to the KPI row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from retail_kpi.config import Settings
from retail_kpi.quality.batch import Batch
from retail_kpi.quality.frames import _arrow_to_pandas, read_json, read_silver_dates

#: KPI table -> its date column (from retail_kpi/kpi/catalogue.yaml).
TABLES = {
    "kpi_daily_sales": "sales_date",
    "kpi_daily_country": "sales_date",
    "kpi_engagement_daily": "session_date",
    "kpi_inventory_daily": "snapshot_date",
    "kpi_shipping_daily": "order_date",
}
CANCELLED = "cancelled"


def touched_path(s: Settings, day: dt.date) -> Path:
    return s.kpi_dir / "_touched" / f"dt={day.isoformat()}.json"


def recomputed_days(s: Settings, day: dt.date) -> list[dt.date]:
    doc = read_json(touched_path(s, day)) or {}
    return sorted(dt.date.fromisoformat(str(d)[:10]) for d in doc.get("days") or [])


def read_kpi(s: Settings, table: str, days: list[dt.date]) -> pd.DataFrame:
    """Rows of one KPI table for ``days`` (no file at all: an empty frame)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = [f for d in days for f in sorted((s.kpi_dir / table / f"dt={d}").glob("*.parquet"))]
    if not files:  # an empty table still has its catalogue columns (checks see 0 rows)
        from retail_kpi.kpi.catalogue import load

        return pd.DataFrame(
            {c: pd.Series(dtype="object") for c in load().table(table).column_names}
        )
    return _arrow_to_pandas(pa.concat_tables(pq.read_table(f) for f in files))


def _latest(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key: the latest ingest wins (a re-landed record replaces its copy)."""
    return frame.sort_values("ingest_date", kind="stable").drop_duplicates(keys, keep="last")


def silver_net_sales(s: Settings, days: list[dt.date]) -> pd.DataFrame:
    """Net sales USD per (sales_date, country_code) recomputed from silver order lines."""
    dates = {d.isoformat() for d in days}
    items = _latest(read_silver_dates(s, "order_items", dates), ["order_id", "line_number"])
    orders = _latest(read_silver_dates(s, "orders", dates), ["order_id"])
    sold = items.merge(orders[["order_id", "status"]], on="order_id", how="inner")
    sold = sold[sold["status"] != CANCELLED]
    grouped = sold.groupby(["order_date", "country_code"], as_index=False)["net_amount_usd"]
    out = grouped.sum().rename(
        columns={"order_date": "sales_date", "net_amount_usd": "silver_net_sales_usd"}
    )
    return out


def daily_sales_frame(s: Settings, days: list[dt.date]) -> pd.DataFrame:
    """KPI rows next to silver's net sales (outer join: a side missing shows as NaN)."""
    kpi = read_kpi(s, "kpi_daily_sales", days)
    silver = silver_net_sales(s, days)
    for side in (kpi, silver):  # an empty side has object columns; merge needs one type
        side["sales_date"] = pd.to_datetime(side["sales_date"])
    frame = kpi.merge(silver, on=["sales_date", "country_code"], how="outer")
    frame["net_sales_gap"] = (frame["net_sales_usd"] - frame["silver_net_sales_usd"]).abs()
    return frame


def daily_country_frame(s: Settings, days: list[dt.date]) -> pd.DataFrame:
    frame = read_kpi(s, "kpi_daily_country", days)
    frame["customers_gap"] = (
        frame["customers"] - frame["new_customers"] - frame["returning_customers"]
    )
    return frame


def batches(s: Settings, day: dt.date) -> list[Batch]:
    days = recomputed_days(s, day)
    where = f"{s.kpi_dir}/<table>/dt=<{', '.join(map(str, days)) or 'no day recomputed'}>"
    out = [
        Batch("kpi_daily_sales", where.replace("<table>", "kpi_daily_sales"),
              frame=daily_sales_frame(s, days)),
        Batch("kpi_daily_country", where.replace("<table>", "kpi_daily_country"),
              frame=daily_country_frame(s, days)),
    ]  # fmt: skip
    for table in ("kpi_engagement_daily", "kpi_inventory_daily", "kpi_shipping_daily"):
        out.append(Batch(table, where.replace("<table>", table), frame=read_kpi(s, table, days)))
    return out
