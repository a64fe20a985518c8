"""Wires the KPI transforms together for one run's plan: reads silver, returns the tables.

Kept apart from ``kpis.py`` (arguments, session, writing) so tests can call
:func:`compute` on a tiny hand-written lake and compare DataFrames.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail_kpi.kpi import windows
from spark_jobs import kpi_ops, kpi_periods, kpi_sales
from spark_jobs.kpi_io import read_silver, read_snapshots
from spark_jobs.kpi_sales import money, ratio

ORDER_COLS = [
    "order_id",
    "customer_id",
    "order_ts",
    "order_date",
    "country_code",
    "status",
    "total_items",
]
ITEM_COLS = [
    "order_id",
    "product_id",
    "quantity",
    "gross_amount_usd",
    "discount_amount_usd",
    "net_amount_usd",
    "cogs_usd",
    "profit_usd",
]
RETURN_COLS = ["return_date", "country_code", "product_id", "quantity", "refund_amount_usd"]
INVENTORY_COLS = [
    "snapshot_date",
    "country_code",
    "warehouse_id",
    "product_id",
    "on_hand",
    "on_order",
    "reorder_point",
    "is_low_stock",
    "is_stock_out",
]
SESSION_COLS = [
    "session_id",
    "session_date",
    "country_code",
    "channel",
    "duration_s",
    "pages_viewed",
    "added_to_cart",
    "converted",
]
SHIPMENT_COLS = [
    "shipment_id",
    "order_date",
    "country_code",
    "shipped_ts",
    "delivered_ts",
    "days_to_ship",
    "days_to_deliver",
    "is_on_time",
]


def _in(col: str, days: list[dt.date] | tuple[dt.date, ...]) -> F.Column:
    return F.col(col).isin(list(days))


def _windows_frames(
    spark: SparkSession, members: list, flags: dict, buckets: list[str]
) -> tuple[DataFrame, DataFrame]:
    m = spark.createDataFrame(members, "target date, bucket string, source_day date")
    targets = sorted({t for t, _ in flags})
    rows = [(t, *[flags[(t, b)] for b in buckets]) for t in targets]
    schema = "target date, " + ", ".join(f"{b}_ok boolean" for b in buckets)
    return m, spark.createDataFrame(rows, schema)


def _snapshot_map(silver: Path, entity: str, days: list[dt.date]) -> dict[dt.date, dt.date]:
    snaps = windows.partition_days(silver / entity)
    out = {}
    for d in days:
        s = windows.latest_snapshot(d, snaps)
        if s is not None:
            out[d] = s
    return out


def _sold_28d(
    spark: SparkSession, base: DataFrame, plan: windows.Plan
) -> tuple[DataFrame, DataFrame]:
    """Units sold per country over each day's trailing 28-day window, and the window's
    number of days in the lake (the divisor of the selling rate)."""
    avail = set(plan.available)
    members = [(t, s) for t in plan.days for s in windows.trailing_days(t, avail)]
    counts = [(t, len(windows.trailing_days(t, avail))) for t in plan.days]
    m = spark.createDataFrame(members, "snapshot_date date, source_day date")
    c = spark.createDataFrame(counts, "snapshot_date date, days_28d int")
    units = (
        base.join(m, base["sales_date"] == m["source_day"], how="inner")
        .groupBy("snapshot_date", "country_code")
        .agg(F.sum("units").cast("long").alias("units_28d"))
    )
    return units, c


def _daily_country(
    base: DataFrame,
    rets: DataFrame,
    peaks: DataFrame,
    customers: DataFrame,
    sums: tuple[DataFrame, DataFrame],
    days: tuple[dt.date, ...],
) -> DataFrame:
    keys = ["sales_date", "country_code"]
    rows = base.where(_in("sales_date", days))
    rows = kpi_periods.with_returns(rows, rets, ["country_code"])
    rows = rows.join(peaks, on=keys, how="left").join(customers, on=keys, how="left")
    rows = kpi_periods.apply_windows(
        rows, "sales_date", ["country_code"], sums[0], sums[1], kpi_periods.DAY_BUCKETS
    )
    rows = kpi_periods.day_growth(rows)
    zero = F.lit(0).cast("long")
    return rows.select(
        *keys,
        ratio(F.col("units"), F.col("orders")).alias("units_per_transaction"),
        ratio(F.col("profit_usd"), F.col("net_sales_usd")).alias("profit_margin"),
        "returned_units",
        "returned_value_usd",
        "return_rate_units",
        "return_rate_value",
        (F.col("orders").cast("double") / F.lit(float(kpi_sales.MINUTES_PER_DAY))).alias(
            "avg_orders_per_minute"
        ),
        F.coalesce(F.col("peak_orders_per_minute"), zero).alias("peak_orders_per_minute"),
        "peak_minute_start",
        F.coalesce(F.col("customers"), zero).alias("customers"),
        F.coalesce(F.col("new_customers"), zero).alias("new_customers"),
        F.coalesce(F.col("returning_customers"), zero).alias("returning_customers"),
        ratio(F.col("returning_customers"), F.col("customers")).alias("returning_customer_rate"),
        "net_sales_prev_day_usd",
        "net_sales_growth_dod",
        "net_sales_7d_usd",
        "net_sales_prev_7d_usd",
        "net_sales_growth_wow",
        "net_sales_prev_year_usd",
        "net_sales_growth_yoy",
    )


def _category_daily(
    base_cat: DataFrame, rets_cat: DataFrame, sums: tuple[DataFrame, DataFrame], days: tuple
) -> DataFrame:
    keys = ["category", "country_code"]
    rows = base_cat.where(_in("sales_date", days))
    rows = rows.withColumn("profit_margin", ratio(F.col("profit_usd"), F.col("net_sales_usd")))
    rows = kpi_periods.with_returns(rows, rets_cat, keys)
    rows = kpi_periods.apply_windows(
        rows, "sales_date", keys, sums[0], sums[1], kpi_periods.DAY_BUCKETS
    )
    return kpi_periods.day_growth(rows).withColumn("orders", F.col("orders").cast("long"))


def _keep(df: DataFrame, kept: list[DataFrame]) -> DataFrame:
    """Cache a frame several tables reuse; the caller unpersists ``kept`` when done."""
    kept.append(df.cache())
    return df


def compute(
    spark: SparkSession, silver: Path, plan: windows.Plan, kept: list[DataFrame] | None = None
) -> dict[str, DataFrame]:
    """Every KPI table of the catalogue for ``plan`` (rows of its days/months only).

    Frames reused by several tables are cached and appended to ``kept``.
    """
    kept = [] if kept is None else kept
    inputs, days = list(plan.inputs), plan.days
    orders = _keep(read_silver(spark, silver, "orders", plan.history, ORDER_COLS), kept)
    items = read_silver(spark, silver, "order_items", inputs, ITEM_COLS)
    lines = _keep(kpi_sales.sales_lines(orders.where(_in("order_date", inputs)), items), kept)
    base = _keep(kpi_sales.daily_base(lines, ["country_code"]), kept)
    lines_r = lines.where(_in("sales_date", days))

    minutes = _keep(kpi_sales.orders_per_minute(lines_r), kept)
    prod_map = _snapshot_map(silver, "products", inputs)
    products = _keep(
        read_snapshots(
            spark, silver, "products", prod_map, ["product_id", "product_name", "category"]
        ),
        kept,
    )
    lines_cat = kpi_sales.with_category(lines, products)
    base_cat = _keep(kpi_sales.daily_base(lines_cat, ["category", "country_code"]), kept)

    returns = read_silver(spark, silver, "returns", inputs, RETURN_COLS)
    returns = returns.where(_in("return_date", inputs))
    rets = _keep(kpi_periods.returns_by(returns, ["country_code"]), kept)
    rets_cat = kpi_periods.returns_by(
        kpi_sales.with_category(
            returns.withColumnRenamed("return_date", "sales_date"), products
        ).withColumnRenamed("sales_date", "return_date"),
        ["category", "country_code"],
    )

    complete = set(plan.complete)
    members, flags = windows.day_windows(days, complete)
    day_frames = _windows_frames(spark, members, flags, kpi_periods.DAY_BUCKETS)
    net = ["sales_date", "country_code", "net_sales_usd"]
    day_sums = kpi_periods.window_sums(
        base.select(*net), ["country_code"], day_frames[0], kpi_periods.DAY_BUCKETS
    )
    cat_sums = kpi_periods.window_sums(
        base_cat.select("sales_date", "category", "country_code", "net_sales_usd"),
        ["category", "country_code"],
        day_frames[0],
        kpi_periods.DAY_BUCKETS,
    )
    status = _keep(kpi_periods.customer_status(orders), kept)

    m_members, m_flags, m_days = windows.month_windows(plan.months, set(plan.available), complete)
    month_frames = _windows_frames(spark, m_members, m_flags, kpi_periods.MONTH_BUCKETS)
    month_sums = kpi_periods.window_sums(
        base.select(*net), ["country_code"], month_frames[0], kpi_periods.MONTH_BUCKETS
    )
    days_df = spark.createDataFrame(list(m_days.items()), "month_start date, days_with_data int")
    month_base = base.where(F.trunc("sales_date", "month").isin(list(plan.months)))
    monthly_cust = kpi_periods.monthly_customers(
        status.where(F.trunc("sales_date", "month").isin(list(plan.months)))
    )

    cust_map = _snapshot_map(silver, "customers", list(days))
    customers = read_snapshots(spark, silver, "customers", cust_map, ["customer_id", "age_group"])
    inventory = read_silver(spark, silver, "inventory", days, INVENTORY_COLS)
    inventory = inventory.where(_in("snapshot_date", days))
    sessions = read_silver(spark, silver, "web_sessions", days, SESSION_COLS)
    shipments = read_silver(spark, silver, "shipments", days, SHIPMENT_COLS)

    return {
        "kpi_daily_sales": kpi_sales.daily_sales(base.where(_in("sales_date", days))),
        "kpi_daily_country": _daily_country(
            base,
            rets,
            kpi_sales.minute_peaks(minutes),
            kpi_periods.daily_customers(status.where(_in("sales_date", days))),
            (day_sums, day_frames[1]),
            days,
        ),
        "kpi_orders_per_minute": minutes,
        "kpi_hourly_sales": kpi_sales.hourly_sales(minutes),
        "kpi_daily_category_sales": _category_daily(
            base_cat, rets_cat, (cat_sums, day_frames[1]), days
        ),
        "kpi_monthly_sales": kpi_periods.monthly_sales(
            month_base, rets, monthly_cust, month_sums, month_frames[1], days_df
        ),
        "kpi_top_products_daily": kpi_sales.top_products(lines_cat.where(_in("sales_date", days))),
        "kpi_customer_demographics_daily": kpi_sales.demographics(lines_r, customers),
        "kpi_engagement_daily": kpi_ops.engagement(sessions.where(_in("session_date", days))),
        "kpi_inventory_daily": kpi_ops.inventory_health(inventory, *_sold_28d(spark, base, plan)),
        "kpi_low_stock_daily": kpi_ops.low_stock(inventory, products_for(spark, silver, days)),
        "kpi_shipping_daily": kpi_ops.shipping(shipments.where(_in("order_date", days))),
    }


def products_for(spark: SparkSession, silver: Path, days: tuple[dt.date, ...]) -> DataFrame:
    """Product names from the snapshot each inventory day uses."""
    serve = _snapshot_map(silver, "products", list(days))
    return read_snapshots(spark, silver, "products", serve, ["product_id", "product_name"])


__all__ = ["compute", "money"]
