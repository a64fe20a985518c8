"""Sales KPI transforms: pure DataFrame -> DataFrame functions over silver inputs.

Everything starts from :func:`sales_lines` (order lines of non-cancelled orders) so that
every sales KPI agrees on what a sale is. Money stays decimal and is summed exactly;
ratios are computed in double precision and are NULL on a zero denominator.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

MONEY = "decimal(18,2)"
CANCELLED = "cancelled"
UNKNOWN = "Unknown"
UNKNOWN_CUSTOMER = "UNKNOWN"
MINUTES_PER_DAY = 1440
MINUTES_PER_HOUR = 60
TOP_N = 10
MONEY_SUMS = ("gross_sales_usd", "discount_usd", "net_sales_usd", "cogs_usd", "profit_usd")

LINE_COLUMNS = [
    "order_id",
    "order_ts",
    "sales_date",
    "country_code",
    "customer_id",
    "product_id",
    "quantity",
    "gross_sales_usd",
    "discount_usd",
    "net_sales_usd",
    "cogs_usd",
    "profit_usd",
]


def money(col: Column) -> Column:
    return col.cast(MONEY)


def ratio(num: Column, den: Column) -> Column:
    """num / den in double precision; NULL when den is 0 or NULL (the documented rule)."""
    return F.when(den != 0, num.cast("double") / den.cast("double"))


def growth(cur: Column, prev: Column) -> Column:
    """cur / prev - 1; NULL when prev is 0 or NULL."""
    return F.when(prev != 0, cur.cast("double") / prev.cast("double") - F.lit(1.0))


def avg_money(total: Column, count: Column) -> Column:
    """total / count rounded half-up to the cent (scale 10 first: no double rounding)."""
    exact = total.cast("decimal(30,2)") / count.cast("decimal(10,0)")
    return F.when(count > 0, money(F.round(exact, 2)))


def sales_lines(orders: DataFrame, items: DataFrame) -> DataFrame:
    """Order lines of non-cancelled orders with the order's date, country and customer."""
    live = orders.where(F.col("status") != F.lit(CANCELLED)).select(
        "order_id",
        "order_ts",
        F.col("order_date").alias("sales_date"),
        "country_code",
        "customer_id",
    )
    lines = items.select(
        "order_id",
        "product_id",
        "quantity",
        F.col("gross_amount_usd").alias("gross_sales_usd"),
        F.col("discount_amount_usd").alias("discount_usd"),
        F.col("net_amount_usd").alias("net_sales_usd"),
        "cogs_usd",
        "profit_usd",
    )
    return lines.join(live, on="order_id", how="inner").select(*LINE_COLUMNS)


def _sums(keys: list[str]) -> list[Column]:
    return [
        F.countDistinct("order_id").alias("orders"),
        F.sum("quantity").cast("long").alias("units"),
        *[money(F.sum(c)).alias(c) for c in MONEY_SUMS],
    ]


def daily_base(lines: DataFrame, keys: list[str]) -> DataFrame:
    """Additive sales totals per sales_date and ``keys`` (feeds day tables and windows)."""
    return lines.groupBy("sales_date", *keys).agg(*_sums(keys))


def daily_sales(base: DataFrame) -> DataFrame:
    """kpi_daily_sales: totals per day and country, plus average order value."""
    return base.select(
        "sales_date",
        "country_code",
        F.col("orders").cast("int").alias("orders"),
        F.col("units").cast("int").alias("units"),
        *MONEY_SUMS,
        avg_money(F.col("net_sales_usd"), F.col("orders")).alias("avg_order_value_usd"),
    )


def order_totals(lines: DataFrame) -> DataFrame:
    """One row per order: when, where, units and net sales (the unit of 'orders per minute')."""
    return lines.groupBy("order_id", "order_ts", "sales_date", "country_code").agg(
        F.sum("quantity").cast("long").alias("units"),
        money(F.sum("net_sales_usd")).alias("net_sales_usd"),
    )


def orders_per_minute(lines: DataFrame) -> DataFrame:
    """kpi_orders_per_minute: orders, units and net sales per UTC minute and country."""
    per_order = order_totals(lines).withColumn(
        "minute_start", F.date_trunc("minute", F.col("order_ts"))
    )
    return per_order.groupBy("minute_start", "sales_date", "country_code").agg(
        F.count("order_id").cast("long").alias("orders"),
        F.sum("units").cast("long").alias("units"),
        money(F.sum("net_sales_usd")).alias("net_sales_usd"),
    )


def hourly_sales(minutes: DataFrame) -> DataFrame:
    """kpi_hourly_sales: rolls the minute table up to hours; peak = busiest minute."""
    hours = minutes.withColumn("hour_start", F.date_trunc("hour", F.col("minute_start")))
    agg = hours.groupBy("hour_start", "sales_date", "country_code").agg(
        F.sum("orders").cast("long").alias("orders"),
        F.sum("units").cast("long").alias("units"),
        money(F.sum("net_sales_usd")).alias("net_sales_usd"),
        F.max("orders").cast("long").alias("peak_orders_per_minute"),
    )
    return agg.select(
        "hour_start",
        "sales_date",
        "country_code",
        "orders",
        "units",
        "net_sales_usd",
        (F.col("orders").cast("double") / F.lit(float(MINUTES_PER_HOUR))).alias(
            "avg_orders_per_minute"
        ),
        "peak_orders_per_minute",
    )


def minute_peaks(minutes: DataFrame) -> DataFrame:
    """Per day and country: the busiest minute's order count and its first occurrence."""
    w = Window.partitionBy("sales_date", "country_code").orderBy(
        F.col("orders").desc(), F.col("minute_start").asc()
    )
    top = minutes.withColumn("_rn", F.row_number().over(w)).where(F.col("_rn") == 1)
    return top.select(
        "sales_date",
        "country_code",
        F.col("orders").alias("peak_orders_per_minute"),
        F.col("minute_start").alias("peak_minute_start"),
    )


def with_category(lines: DataFrame, products: DataFrame) -> DataFrame:
    """Adds product_name and category from the snapshot each sales_date uses.

    ``products`` has one row per (snapshot_for, product_id) where snapshot_for is the
    sales date the snapshot serves; products missing from it become 'Unknown'.
    """
    p = products.select(
        F.col("snapshot_for").alias("sales_date"), "product_id", "product_name", "category"
    )
    out = lines.join(p, on=["sales_date", "product_id"], how="left")
    return out.withColumn("category", F.coalesce(F.col("category"), F.lit(UNKNOWN))).withColumn(
        "product_name", F.coalesce(F.col("product_name"), F.lit(UNKNOWN))
    )


def top_products(lines_cat: DataFrame) -> DataFrame:
    """kpi_top_products_daily: top ten products by net sales per day and country."""
    agg = lines_cat.groupBy("sales_date", "country_code", "product_id").agg(
        F.first("product_name").alias("product_name"),
        F.first("category").alias("category"),
        F.sum("quantity").cast("long").alias("units"),
        money(F.sum("net_sales_usd")).alias("net_sales_usd"),
    )
    w = Window.partitionBy("sales_date", "country_code").orderBy(
        F.col("net_sales_usd").desc(), F.col("product_id").asc()
    )
    ranked = agg.withColumn("sales_rank", F.row_number().over(w))
    return ranked.where(F.col("sales_rank") <= TOP_N).select(
        "sales_date",
        "country_code",
        F.col("sales_rank").cast("int"),
        "product_id",
        "product_name",
        "category",
        "units",
        "net_sales_usd",
    )


def demographics(lines: DataFrame, customers: DataFrame) -> DataFrame:
    """kpi_customer_demographics_daily: sales by the customer's age group.

    ``customers`` has (snapshot_for, customer_id, age_group); unidentified customers fall in
    'Unknown' and are not counted as customers.
    """
    c = customers.select(F.col("snapshot_for").alias("sales_date"), "customer_id", "age_group")
    joined = lines.join(c, on=["sales_date", "customer_id"], how="left").withColumn(
        "age_group", F.coalesce(F.col("age_group"), F.lit(UNKNOWN))
    )
    known = F.when(F.col("customer_id") != F.lit(UNKNOWN_CUSTOMER), F.col("customer_id"))
    agg = joined.groupBy("sales_date", "country_code", "age_group").agg(
        F.countDistinct(known).cast("long").alias("customers"),
        F.countDistinct("order_id").cast("long").alias("orders"),
        F.sum("quantity").cast("long").alias("units"),
        money(F.sum("net_sales_usd")).alias("net_sales_usd"),
    )
    return agg.withColumn("avg_order_value_usd", avg_money(F.col("net_sales_usd"), F.col("orders")))
