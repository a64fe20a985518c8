"""Operational KPI transforms: engagement, inventory health and shipping."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_jobs.kpi_sales import UNKNOWN, ratio


def _count_if(cond: F.Column) -> F.Column:
    return F.sum(F.when(cond, 1).otherwise(0)).cast("long")


def engagement(sessions: DataFrame) -> DataFrame:
    """kpi_engagement_daily: sessions, add-to-cart and conversion per day, country, channel."""
    agg = sessions.groupBy("session_date", "country_code", "channel").agg(
        F.count("session_id").cast("long").alias("sessions"),
        _count_if(F.col("added_to_cart")).alias("cart_sessions"),
        _count_if(F.col("converted")).alias("converted_sessions"),
        F.avg(F.col("duration_s").cast("double")).alias("avg_session_duration_s"),
        F.avg(F.col("pages_viewed").cast("double")).alias("avg_pages_per_session"),
    )
    return agg.select(
        "session_date",
        "country_code",
        "channel",
        "sessions",
        "cart_sessions",
        "converted_sessions",
        ratio(F.col("cart_sessions"), F.col("sessions")).alias("add_to_cart_rate"),
        ratio(F.col("converted_sessions"), F.col("sessions")).alias("conversion_rate"),
        "avg_session_duration_s",
        "avg_pages_per_session",
    )


def inventory_health(inventory: DataFrame, sold: DataFrame, window: DataFrame) -> DataFrame:
    """kpi_inventory_daily. ``sold``: (snapshot_date, country_code, units_28d) over the
    trailing 28-day window; ``window``: (snapshot_date, days_28d), its days in the lake.
    A country that sold nothing in the window sells 0 a day, so days of supply is NULL."""
    agg = inventory.groupBy("snapshot_date", "country_code").agg(
        F.count("product_id").cast("long").alias("stock_positions"),
        F.countDistinct("product_id").cast("long").alias("products"),
        F.sum("on_hand").cast("long").alias("on_hand_units"),
        F.sum("on_order").cast("long").alias("on_order_units"),
        _count_if(F.col("is_stock_out")).alias("stock_out_positions"),
        _count_if(F.col("is_low_stock")).alias("low_stock_positions"),
        F.countDistinct(F.when(F.col("is_low_stock"), F.col("product_id")))
        .cast("long")
        .alias("low_stock_products"),
    )
    out = agg.join(sold, on=["snapshot_date", "country_code"], how="left")
    out = out.join(window, on="snapshot_date", how="left")
    rate = F.when(
        F.col("days_28d") > 0,
        F.coalesce(F.col("units_28d"), F.lit(0)).cast("double") / F.col("days_28d").cast("double"),
    )
    out = out.withColumn("avg_daily_units_sold_28d", rate)
    return out.select(
        "snapshot_date",
        "country_code",
        "stock_positions",
        "products",
        "on_hand_units",
        "on_order_units",
        "stock_out_positions",
        ratio(F.col("stock_out_positions"), F.col("stock_positions")).alias("stock_out_rate"),
        "low_stock_positions",
        "low_stock_products",
        "avg_daily_units_sold_28d",
        ratio(F.col("on_hand_units"), F.col("avg_daily_units_sold_28d")).alias("days_of_supply"),
    )


def low_stock(inventory: DataFrame, products: DataFrame) -> DataFrame:
    """kpi_low_stock_daily: every position at or below its reorder point, with product name.

    ``products``: (snapshot_for, product_id, product_name) — the snapshot each day uses.
    """
    p = products.select(F.col("snapshot_for").alias("snapshot_date"), "product_id", "product_name")
    low = inventory.where(F.col("is_low_stock"))
    out = low.join(p, on=["snapshot_date", "product_id"], how="left")
    return out.select(
        "snapshot_date",
        "country_code",
        "warehouse_id",
        "product_id",
        F.coalesce(F.col("product_name"), F.lit(UNKNOWN)).alias("product_name"),
        F.col("on_hand").cast("int"),
        F.col("on_order").cast("int"),
        F.col("reorder_point").cast("int"),
        F.col("is_stock_out").cast("boolean"),
    )


def shipping(shipments: DataFrame) -> DataFrame:
    """kpi_shipping_daily: speed and punctuality per order day and country."""
    agg = shipments.groupBy("order_date", "country_code").agg(
        F.count("shipment_id").cast("long").alias("shipments"),
        _count_if(F.col("shipped_ts").isNotNull()).alias("shipped_shipments"),
        _count_if(F.col("delivered_ts").isNotNull()).alias("delivered_shipments"),
        F.avg(F.col("days_to_ship").cast("double")).alias("avg_days_to_ship"),
        F.avg(F.col("days_to_deliver").cast("double")).alias("avg_days_to_deliver"),
        _count_if(F.col("is_on_time")).alias("on_time_shipments"),
        F.count("is_on_time").cast("long").alias("known_punctuality"),
    )
    return agg.select(
        "order_date",
        "country_code",
        "shipments",
        "shipped_shipments",
        "delivered_shipments",
        "avg_days_to_ship",
        "avg_days_to_deliver",
        "on_time_shipments",
        ratio(F.col("on_time_shipments"), F.col("known_punctuality")).alias("on_time_rate"),
    )
