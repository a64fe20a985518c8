"""Period KPIs: growth windows, daily-by-country extras and the monthly table.

The comparison windows (which source days feed which target row, and whether a window is
complete) are decided in plain Python by ``retail_kpi.kpi.windows`` and handed in as small
``members`` / ``flags`` DataFrames, so the Spark side is only joins and sums.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_jobs.kpi_sales import MONEY_SUMS, UNKNOWN_CUSTOMER, avg_money, growth, money, ratio

DAY_BUCKETS = ["prev_day", "cur_7d", "prev_7d", "prev_year"]
MONTH_BUCKETS = ["prev_month", "prev_year"]


def window_sums(
    base: DataFrame, keys: list[str], members: DataFrame, buckets: list[str]
) -> DataFrame:
    """Net sales per (target, *keys) and bucket, from ``base`` (sales_date, *keys, net)
    and ``members`` (target, bucket, source_day). Buckets without rows are NULL here."""
    joined = base.join(members, base["sales_date"] == members["source_day"], how="inner")
    values: list[bool | float | int | str] = list(buckets)
    return (
        joined.groupBy("target", *keys).pivot("bucket", values).agg(money(F.sum("net_sales_usd")))
    )


def apply_windows(
    rows: DataFrame,
    date_col: str,
    keys: list[str],
    sums: DataFrame,
    flags: DataFrame,
    buckets: list[str],
) -> DataFrame:
    """Joins window sums onto ``rows``: 0 when the window is complete but the key had no
    sales in it, NULL when the window is incomplete (``flags``: target, <bucket>_ok)."""
    s = sums.withColumnRenamed("target", date_col)
    f = flags.withColumnRenamed("target", date_col)
    out = rows.join(s, on=[date_col, *keys], how="left").join(f, on=date_col, how="left")
    for b in buckets:
        out = out.withColumn(
            b, money(F.when(F.col(f"{b}_ok"), F.coalesce(F.col(b), F.lit(0).cast("decimal(18,2)"))))
        )
    return out.drop(*[f"{b}_ok" for b in buckets])


def day_growth(rows: DataFrame, cur: str = "net_sales_usd") -> DataFrame:
    """Growth columns from the window buckets added by :func:`apply_windows` (day grain)."""
    base_cols = [c for c in rows.columns if c not in DAY_BUCKETS]
    return rows.select(
        *base_cols,
        F.col("prev_day").alias("net_sales_prev_day_usd"),
        growth(F.col(cur), F.col("prev_day")).alias("net_sales_growth_dod"),
        F.col("cur_7d").alias("net_sales_7d_usd"),
        F.col("prev_7d").alias("net_sales_prev_7d_usd"),
        F.when(F.col("cur_7d").isNotNull(), growth(F.col("cur_7d"), F.col("prev_7d"))).alias(
            "net_sales_growth_wow"
        ),
        F.col("prev_year").alias("net_sales_prev_year_usd"),
        growth(F.col(cur), F.col("prev_year")).alias("net_sales_growth_yoy"),
    )


def customer_status(orders_hist: DataFrame) -> DataFrame:
    """Live orders of identified customers with each customer's first order date.

    An order counts only with at least one sales line (docs/KPIS.md): silver orders carry
    ``total_items`` over their clean lines (quantities are positive), 0 when every line was
    quarantined, so no order-line history needs reading.
    """
    live = orders_hist.where(
        (F.col("status") != F.lit("cancelled"))
        & (F.col("customer_id") != F.lit(UNKNOWN_CUSTOMER))
        & (F.col("total_items") > F.lit(0))
    ).select("order_id", "customer_id", F.col("order_date").alias("sales_date"), "country_code")
    first = live.groupBy("customer_id").agg(F.min("sales_date").alias("first_order_date"))
    return live.join(first, on="customer_id", how="inner")


def daily_customers(status: DataFrame) -> DataFrame:
    """Customers, new and returning per day and country."""
    per = status.groupBy("sales_date", "country_code", "customer_id").agg(
        F.min("first_order_date").alias("first_order_date")
    )
    is_new = F.col("first_order_date") == F.col("sales_date")
    return per.groupBy("sales_date", "country_code").agg(
        F.count("customer_id").cast("long").alias("customers"),
        F.sum(F.when(is_new, 1).otherwise(0)).cast("long").alias("new_customers"),
        F.sum(F.when(is_new, 0).otherwise(1)).cast("long").alias("returning_customers"),
    )


def monthly_customers(status: DataFrame) -> DataFrame:
    """Customers, new and repeat (2+ orders) per month and country."""
    m = status.withColumn("month_start", F.trunc("sales_date", "month"))
    per = m.groupBy("month_start", "country_code", "customer_id").agg(
        F.countDistinct("order_id").alias("n_orders"),
        F.min("first_order_date").alias("first_order_date"),
    )
    is_new = F.trunc("first_order_date", "month") == F.col("month_start")
    return per.groupBy("month_start", "country_code").agg(
        F.count("customer_id").cast("long").alias("customers"),
        F.sum(F.when(is_new, 1).otherwise(0)).cast("long").alias("new_customers"),
        F.sum(F.when(F.col("n_orders") >= 2, 1).otherwise(0))
        .cast("long")
        .alias("repeat_customers"),
    )


def returns_by(returns: DataFrame, keys: list[str]) -> DataFrame:
    """Returned units and refunds per return date (as sales_date) and ``keys``."""
    return (
        returns.withColumnRenamed("return_date", "sales_date")
        .groupBy("sales_date", *keys)
        .agg(
            F.sum("quantity").cast("long").alias("returned_units"),
            money(F.sum("refund_amount_usd")).alias("returned_value_usd"),
        )
    )


def with_returns(rows: DataFrame, rets: DataFrame, keys: list[str]) -> DataFrame:
    """Adds returned units/value (0 when none) and both return rates."""
    out = rows.join(rets, on=["sales_date", *keys], how="left")
    out = out.withColumn(
        "returned_units", F.coalesce(F.col("returned_units"), F.lit(0).cast("long"))
    )
    out = out.withColumn(
        "returned_value_usd",
        money(F.coalesce(F.col("returned_value_usd"), F.lit(0))),
    )
    return out.withColumn(
        "return_rate_units", ratio(F.col("returned_units"), F.col("units"))
    ).withColumn("return_rate_value", ratio(F.col("returned_value_usd"), F.col("net_sales_usd")))


def monthly_sales(
    base: DataFrame,
    rets: DataFrame,
    customers: DataFrame,
    sums: DataFrame,
    flags: DataFrame,
    days_with_data: DataFrame,
) -> DataFrame:
    """kpi_monthly_sales from daily base totals (additive), returns, customers and windows."""
    m = base.withColumn("month_start", F.trunc("sales_date", "month"))
    agg = m.groupBy("month_start", "country_code").agg(
        F.sum("orders").cast("long").alias("orders"),
        F.sum("units").cast("long").alias("units"),
        *[money(F.sum(c)).alias(c) for c in MONEY_SUMS],
    )
    r = (
        rets.withColumn("month_start", F.trunc("sales_date", "month"))
        .groupBy("month_start", "country_code")
        .agg(
            F.sum("returned_units").cast("long").alias("returned_units"),
            money(F.sum("returned_value_usd")).alias("returned_value_usd"),
        )
    )
    out = agg.join(r, on=["month_start", "country_code"], how="left")
    out = out.join(customers, on=["month_start", "country_code"], how="left")
    out = apply_windows(out, "month_start", ["country_code"], sums, flags, MONTH_BUCKETS)
    out = out.join(days_with_data, on="month_start", how="left")
    zero = F.lit(0).cast("long")
    return out.select(
        "month_start",
        "country_code",
        F.col("days_with_data").cast("int"),
        "orders",
        "units",
        *MONEY_SUMS,
        ratio(F.col("profit_usd"), F.col("net_sales_usd")).alias("profit_margin"),
        avg_money(F.col("net_sales_usd"), F.col("orders")).alias("avg_order_value_usd"),
        ratio(F.col("units"), F.col("orders")).alias("units_per_transaction"),
        F.coalesce(F.col("returned_units"), zero).alias("returned_units"),
        money(F.coalesce(F.col("returned_value_usd"), F.lit(0))).alias("returned_value_usd"),
        ratio(F.coalesce(F.col("returned_units"), zero), F.col("units")).alias("return_rate_units"),
        ratio(F.coalesce(F.col("returned_value_usd"), F.lit(0)), F.col("net_sales_usd")).alias(
            "return_rate_value"
        ),
        F.coalesce(F.col("customers"), zero).alias("customers"),
        F.coalesce(F.col("new_customers"), zero).alias("new_customers"),
        F.coalesce(F.col("repeat_customers"), zero).alias("repeat_customers"),
        ratio(F.col("repeat_customers"), F.col("customers")).alias("repeat_purchase_rate"),
        money(F.col("prev_month")).alias("net_sales_prev_month_usd"),
        growth(F.col("net_sales_usd"), F.col("prev_month")).alias("net_sales_growth_mom"),
        money(F.col("prev_year")).alias("net_sales_prev_year_usd"),
        growth(F.col("net_sales_usd"), F.col("prev_year")).alias("net_sales_growth_yoy"),
    )
