"""Clean the operational entities: shipments, returns, inventory and web sessions."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import rules
from spark_jobs import common as C
from spark_jobs import conform_rules as R
from spark_jobs.clean_reference import fx_lookup
from spark_jobs.clean_sales import ORDER_LOOKUP, orphan_checks
from spark_jobs.dispose import Context, EntityResult, Field, add_checks, clean_rows, finish, triage

SECONDS_PER_DAY = 86_400


def _day(ctx: Context) -> Column:
    return F.lit(ctx.day).cast("date")


def _not_future(col: str, ctx: Context) -> Column:
    return C.check(
        F.col(col) >= R.end_of_day(ctx.day), "FUTURE_DATE", f"{col} after the landing date"
    )


def _not_negative(*cols: str) -> list[Column]:
    return [C.check(F.col(c) < 0, "INVALID_VALUE", f"{c} must be >= 0") for c in cols]


def _amount_in_range(col: str) -> Column:
    """Before any arithmetic: a local amount above the limit would overflow (rules.py)."""
    return C.check(
        F.col(col) > F.lit(rules.MAX_AMOUNT_LOCAL),
        "INVALID_VALUE",
        f"{col} above {rules.MAX_AMOUNT_LOCAL}",
    )


def known_orders(ctx: Context) -> DataFrame:
    """Orders a shipment/return may refer to: this run's plus recent earlier runs'."""
    frames = [ctx.lookups["orders_today"].select(*ORDER_LOOKUP, F.lit(0).alias("_prio"))]
    history = ctx.lookups.get("orders_history")
    if history is not None:
        frames.append(history.select(*ORDER_LOOKUP, F.lit(1).alias("_prio")))
    w = Window.partitionBy("order_id").orderBy("_prio")
    union = C.union_all(frames)
    return (
        union.withColumn("_rn", F.row_number().over(w))
        .filter(F.col("_rn") == 1)
        .select(*ORDER_LOOKUP, F.lit(True).alias("_order_found"))
    )


def _join_orders(rows: DataFrame, ctx: Context) -> tuple[DataFrame, list[Column]]:
    rejected = ctx.lookups["orders_rejected"].withColumn("_order_rejected", F.lit(True))
    joined = rows.join(known_orders(ctx), on="order_id", how="left").join(
        rejected, on="order_id", how="left"
    )
    found = F.coalesce(F.col("_order_found"), F.lit(False))
    checks = orphan_checks(
        "order",
        found,
        F.coalesce(F.col("_order_rejected"), F.lit(False)),
        f"order_id not among orders of the last {rules.ORDER_LOOKBACK_DAYS} days",
    )
    return joined, checks


def _days_between(later: str, earlier: str) -> Column:
    seconds = F.unix_timestamp(F.col(later)) - F.unix_timestamp(F.col(earlier))
    return F.round(seconds.cast("decimal(20,0)") / SECONDS_PER_DAY, 2).cast("decimal(10,2)")


def clean_shipments(bronze: DataFrame, ctx: Context) -> EntityResult:
    fields = {
        "shipment_id": Field(required=True),
        "order_id": Field(required=True),
        "carrier": Field("name", True),
        "promised_days": Field("int"),
        "shipped_ts": Field("ts"),
        "delivered_ts": Field("ts"),
        "shipping_cost": Field("decimal"),
    }
    shipped, delivered = F.col("shipped_ts"), F.col("delivered_ts")
    checks = [
        *_not_negative("promised_days", "shipping_cost"),
        _amount_in_range("shipping_cost"),
        C.check(
            delivered.isNotNull() & shipped.isNull(), "INVALID_VALUE", "delivered but never shipped"
        ),
        C.check(delivered < shipped, "INVALID_VALUE", "delivered_ts before shipped_ts"),
        _not_future("shipped_ts", ctx),
        _not_future("delivered_ts", ctx),
    ]
    marked, malformed = triage(ctx, bronze, "shipments", fields, checks)
    rows, order_checks = _join_orders(clean_rows(marked), ctx)
    rows = add_checks(
        rows,
        [
            *order_checks,
            C.check(shipped < F.col("order_ts"), "INVALID_VALUE", "shipped before ordered"),
        ],
    )
    late_by = F.unix_timestamp(delivered) - F.unix_timestamp(F.col("order_ts"))
    promised_s = F.col("promised_days").cast("long") * SECONDS_PER_DAY  # any int fits a long
    cost = F.col("shipping_cost")
    conformed = rows.withColumns(
        {
            "days_to_ship": _days_between("shipped_ts", "order_ts"),
            "days_to_deliver": _days_between("delivered_ts", "order_ts"),
            "is_on_time": late_by <= promised_s,
            "shipping_cost_local": C.round_money(cost),
            "shipping_cost_usd": C.round_money(
                cost.cast("decimal(22,10)") * F.col("fx_usd_per_unit")
            ),
            "ingest_date": _day(ctx),
        }
    )
    return finish("shipments", ctx, marked, malformed, conformed, F.col("order_date"))


def clean_returns(bronze: DataFrame, ctx: Context) -> EntityResult:
    fields = {
        "return_id": Field(required=True),
        "order_id": Field(required=True),
        "line_number": Field("int", True),
        "product_id": Field(required=True),
        "return_ts": Field("ts", True),
        "quantity": Field("int", True),
        "reason": Field("name"),
        "refund_amount": Field("decimal", True),
    }
    return_date = F.to_date(F.col("return_ts"))
    checks = [
        C.check(F.col("line_number") < 1, "INVALID_VALUE", "line_number must be >= 1"),
        C.check(F.col("quantity") <= 0, "NON_POSITIVE_QUANTITY", "quantity <= 0"),
        C.check(
            F.col("quantity") > rules.MAX_QUANTITY,
            "INVALID_VALUE",
            f"quantity above {rules.MAX_QUANTITY}",
        ),
        *_not_negative("refund_amount"),
        _amount_in_range("refund_amount"),
        _not_future("return_ts", ctx),
        C.check(
            R.too_old(return_date, ctx.day, ctx.history_from),
            "INVALID_VALUE",
            f"return_date more than {rules.LATE_ARRIVAL_MAX_DAYS} days before landing",
        ),
    ]
    marked, malformed = triage(ctx, bronze, "returns", fields, checks)
    rows, order_checks = _join_orders(
        clean_rows(marked).withColumn("return_date", return_date), ctx
    )
    rows = rows.drop("fx_usd_per_unit")
    products = ctx.lookups["products"].select("product_id", F.lit(True).alias("_product_found"))
    rows = rows.join(F.broadcast(products), on="product_id", how="left")
    fx = fx_lookup(ctx.lookups["fx"], rows.filter(F.col("currency").isNotNull()), "return_date")
    rows = rows.join(F.broadcast(fx), on=["currency", "return_date"], how="left")
    rows = add_checks(
        rows,
        [
            *order_checks,
            C.check(
                F.col("_product_found").isNull(),
                "ORPHAN_KEY",
                "product_id never seen in a product snapshot",
            ),
            C.check(
                F.col("return_ts") < F.col("order_ts"), "INVALID_VALUE", "returned before ordered"
            ),
            C.check(
                F.col("fx_usd_per_unit").isNull(), "MISSING_FX_RATE", "no FX rate for the currency"
            ),
        ],
    )
    refund = F.col("refund_amount")
    conformed = rows.withColumns(
        {
            "reason": F.coalesce(F.col("reason"), F.lit(rules.UNKNOWN_RETURN_REASON)),
            "refund_amount_local": C.round_money(refund),
            "refund_amount_usd": C.round_money(
                refund.cast("decimal(22,10)") * F.col("fx_usd_per_unit")
            ),
            "ingest_date": _day(ctx),
        }
    )
    return finish("returns", ctx, marked, malformed, conformed, F.col("return_date"))


def clean_inventory(bronze: DataFrame, ctx: Context) -> EntityResult:
    fields = {
        "snapshot_date": Field("date", True),
        "country": Field("str", True),
        "warehouse_id": Field(required=True),
        "product_id": Field(required=True),
        "on_hand": Field("int", True),
        "on_order": Field("int", True),
        "reorder_point": Field("int", True),
    }
    checks = [
        C.check(
            F.col("country_code").isNull(),
            "UNKNOWN_COUNTRY",
            "country not recognisable as a supported country",
        ),
        *_not_negative("on_hand", "on_order", "reorder_point"),
        C.check(
            F.col("snapshot_date") > _day(ctx),
            "FUTURE_DATE",
            "snapshot_date after the landing date",
        ),
        C.check(
            R.too_old(F.col("snapshot_date"), ctx.day, ctx.history_from),
            "INVALID_VALUE",
            f"snapshot_date more than {rules.LATE_ARRIVAL_MAX_DAYS} days before landing",
        ),
    ]
    marked, malformed = triage(
        ctx,
        bronze,
        "inventory",
        fields,
        checks,
        derive={"country_code": R.country_code("country")},
    )
    products = ctx.lookups["products"].select("product_id", F.lit(True).alias("_product_found"))
    rows = clean_rows(marked).join(F.broadcast(products), on="product_id", how="left")
    rows = add_checks(
        rows,
        [
            C.check(
                F.col("_product_found").isNull(),
                "ORPHAN_KEY",
                "product_id never seen in a product snapshot",
            )
        ],
    )
    conformed = rows.withColumns(
        {
            "is_low_stock": F.col("on_hand") <= F.col("reorder_point"),
            "is_stock_out": F.col("on_hand") == 0,
            "ingest_date": _day(ctx),
        }
    )
    return finish("inventory", ctx, marked, malformed, conformed, F.col("snapshot_date"))


def clean_web_sessions(bronze: DataFrame, ctx: Context) -> EntityResult:
    fields = {
        "session_id": Field(required=True),
        "customer_id": Field(),
        "country": Field("str", True),
        "channel": Field("lower", True),
        "session_start_ts": Field("ts", True),
        "duration_s": Field("int", True),
        "pages_viewed": Field("int", True),
        "added_to_cart": Field("bool", True),
        "converted": Field("bool", True),
    }
    session_date = F.to_date(F.col("session_start_ts"))
    checks = [
        C.check(
            F.col("country_code").isNull(),
            "UNKNOWN_COUNTRY",
            "country not recognisable as a supported country",
        ),
        C.check(
            ~F.col("channel").isin(*schemas.CHANNELS), "INVALID_VALUE", "channel not in CHANNELS"
        ),
        *_not_negative("duration_s", "pages_viewed"),
        _not_future("session_start_ts", ctx),
        C.check(
            R.too_old(session_date, ctx.day, ctx.history_from),
            "INVALID_VALUE",
            f"session date more than {rules.LATE_ARRIVAL_MAX_DAYS} days before landing",
        ),
    ]
    marked, malformed = triage(
        ctx,
        bronze,
        "web_sessions",
        fields,
        checks,
        derive={"country_code": R.country_code("country")},
    )
    customers = ctx.lookups["customers"].select(
        F.col("customer_id").alias("_cust"), F.lit(True).alias("_known")
    )
    rows = clean_rows(marked)
    rows = rows.join(customers, on=rows["customer_id"] == customers["_cust"], how="left")
    conformed = rows.withColumns(
        {
            "customer_id": F.when(
                F.col("customer_id").isNull() | F.col("_known"), F.col("customer_id")
            ).otherwise(F.lit(rules.UNKNOWN_CUSTOMER_ID)),
            "session_date": session_date,
            "ingest_date": _day(ctx),
        }
    )
    return finish("web_sessions", ctx, marked, malformed, conformed, F.col("session_date"))


#: Cleaned after orders, in this order.
CLEANERS: dict[str, Callable[[DataFrame, Context], EntityResult]] = {
    "shipments": clean_shipments,
    "returns": clean_returns,
    "inventory": clean_inventory,
    "web_sessions": clean_web_sessions,
}
