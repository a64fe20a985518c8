"""Clean orders and order lines, derive money columns and order totals.

Orders are cleaned in two steps because their totals come from their clean lines:
``prepare_orders`` (rows, FX, customer rule) -> ``clean_order_items`` -> ``finish_orders``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from retail_kpi import schemas
from retail_kpi.cleaning import rules
from spark_jobs import common as C
from spark_jobs import conform_rules as R
from spark_jobs.clean_reference import fx_lookup
from spark_jobs.dispose import (
    QUARANTINE,
    Context,
    EntityResult,
    Field,
    add_checks,
    clean_rows,
    finish,
    raw_key,
    triage,
)

#: Lookup columns of an order that its lines, shipments and returns inherit.
ORDER_LOOKUP = ("order_id", "order_ts", "order_date", "country_code", "currency", "fx_usd_per_unit")


@dataclass
class OrdersStage:
    marked: DataFrame
    malformed: DataFrame
    conformed: DataFrame  # clean rows with FX and customer rule applied (+ _failure)


def _currency_of_country() -> Column:
    return F.create_map(*[F.lit(x) for kv in sorted(schemas.COUNTRIES.items()) for x in kv])


def prepare_orders(bronze: DataFrame, ctx: Context) -> OrdersStage:
    fields = {
        "order_id": Field(required=True),
        "customer_id": Field(required=True),
        "order_ts": Field("ts", True),
        "country": Field("str", True),
        "currency": Field("upper"),
        "channel": Field("lower", True),
        "payment_method": Field("lower"),
        "status": Field("lower", True),
    }
    order_date = F.col("order_date")
    currency = F.col("currency")
    checks = [
        C.check(
            F.col("country_code").isNull(),
            "UNKNOWN_COUNTRY",
            "country not recognisable as a supported country",
        ),
        C.check(
            F.col("order_ts") >= R.end_of_day(ctx.day),
            "FUTURE_DATE",
            "order_ts after the landing date",
        ),
        C.check(
            R.too_old(order_date, ctx.day, ctx.history_from),
            "INVALID_VALUE",
            f"order_date more than {rules.LATE_ARRIVAL_MAX_DAYS} days before landing",
        ),
        C.check(
            currency.isNotNull() & ~currency.isin(*schemas.CURRENCIES),
            "INVALID_VALUE",
            "currency not supported",
        ),
        C.check(
            ~F.col("channel").isin(*schemas.CHANNELS), "INVALID_VALUE", "channel not in CHANNELS"
        ),
        C.check(
            ~F.col("status").isin(*schemas.ORDER_STATUSES),
            "INVALID_VALUE",
            "status not in ORDER_STATUSES",
        ),
    ]
    derive = {
        "country_code": R.country_code("country"),
        "order_date": F.to_date(F.col("order_ts")),
    }
    marked, malformed = triage(ctx, bronze, "orders", fields, checks, derive=derive)
    rows = clean_rows(marked).withColumn("ingest_date", F.lit(ctx.day).cast("date"))
    rows = rows.withColumns(
        {
            "currency": F.coalesce(
                currency, F.try_element_at(_currency_of_country(), F.col("country_code"))
            ),
            "is_late": F.col("order_date") < F.col("ingest_date"),
        }
    )
    customers = ctx.lookups["customers"].select(
        F.col("customer_id").alias("_cust"), F.lit(True).alias("_known")
    )
    rows = rows.join(customers, on=rows["customer_id"] == customers["_cust"], how="left")
    rows = rows.withColumn(
        "customer_id",
        F.when(F.col("_known"), F.col("customer_id")).otherwise(F.lit(rules.UNKNOWN_CUSTOMER_ID)),
    ).drop("_cust", "_known")
    fx = fx_lookup(ctx.lookups["fx"], rows, "order_date")
    rows = rows.join(F.broadcast(fx), on=["currency", "order_date"], how="left")
    rows = add_checks(
        rows,
        [
            C.check(
                F.col("fx_usd_per_unit").isNull(), "MISSING_FX_RATE", "no FX rate for the currency"
            )
        ],
    ).persist()
    ok = rows.filter(F.col("_failure").isNull())
    ctx.lookups["orders_today"] = ok.select(*ORDER_LOOKUP)
    ctx.lookups["orders_rejected"] = _rejected_ids(marked, malformed, rows)
    return OrdersStage(marked, malformed, rows)


def _rejected_ids(marked: DataFrame, malformed: DataFrame, rows: DataFrame) -> DataFrame:
    """Order ids quarantined in this batch (their lines become PARENT_QUARANTINED)."""
    ids = [
        marked.filter(F.col("_fate") == QUARANTINE).select(F.col("_record_key").alias("order_id")),
        malformed.select(raw_key("orders").alias("order_id")),
        rows.filter(F.col("_failure").isNotNull()).select("order_id"),
    ]
    return C.union_all(ids).filter(F.col("order_id").isNotNull()).distinct()


def orphan_checks(parent: str, found: Column, rejected: Column, what: str) -> list[Column]:
    """PARENT_QUARANTINED when the parent was quarantined here, else ORPHAN_KEY."""
    return [
        C.check(~found & rejected, "PARENT_QUARANTINED", f"its {parent} was quarantined"),
        C.check(~found, "ORPHAN_KEY", what),
    ]


def _dec(c: Column, p: int, s: int) -> Column:
    return c.cast(T.DecimalType(p, s))


def line_amounts(q: Column, price: Column, pct: Column, fx: Column) -> dict[str, Column]:
    """Exact products (precision stays <= 38) rounded half-up to cents once, at the end."""
    gross = _dec(q, 10, 0) * _dec(price, 18, 6)
    discount = _dec(gross, 22, 6) * _dec(pct, 6, 4)

    def usd(x: Column) -> Column:
        return _dec(x, 22, 10) * _dec(fx, 15, 8)

    gross_l, disc_l = C.round_money(gross), C.round_money(discount)
    gross_u, disc_u = C.round_money(usd(gross)), C.round_money(usd(discount))
    return {
        "gross_amount_local": gross_l,
        "discount_amount_local": disc_l,
        "net_amount_local": C.round_money(gross_l - disc_l),
        "gross_amount_usd": gross_u,
        "discount_amount_usd": disc_u,
        "net_amount_usd": C.round_money(gross_u - disc_u),
    }


_ABSURD_RULE = (
    f"unit price in USD outside [list price / {rules.ABSURD_PRICE_FACTOR}, "
    f"list price x {rules.ABSURD_PRICE_FACTOR}] or above {rules.MAX_PRICE_USD}"
)


def _fx_bounds(fx: DataFrame) -> DataFrame:
    return fx.agg(F.min("usd_per_unit").alias("_fx_min"), F.max("usd_per_unit").alias("_fx_max"))


def _absurd_price() -> Column:
    """Price check against the product's list price, in USD.

    With the order's rate this is exact; when the order is missing (the line is rejected
    for that anyway) the widest rates of the day are used, so a x1000 price is still
    reported as ABSURD_PRICE rather than hidden behind its parent's reason.
    """
    low = F.coalesce(F.col("fx_usd_per_unit"), F.col("_fx_min"))
    high = F.coalesce(F.col("fx_usd_per_unit"), F.col("_fx_max"))
    price, list_price = F.col("unit_price"), F.col("list_price_usd")
    factor = F.lit(rules.ABSURD_PRICE_FACTOR)
    return (
        (price * high < list_price / factor)
        | (price * low > list_price * factor)
        | (price * low > F.lit(rules.MAX_PRICE_USD))
    )


def clean_order_items(bronze: DataFrame, ctx: Context) -> EntityResult:
    fields = {
        "order_id": Field(required=True),
        "line_number": Field("int", True),
        "product_id": Field(required=True),
        "quantity": Field("int", True),
        "unit_price": Field("decimal", True),
        "discount_pct": Field("decimal"),
    }
    pct = F.coalesce(F.col("discount_pct"), F.lit(0))
    q, price = F.col("quantity"), F.col("unit_price")
    most = F.lit(rules.MAX_AMOUNT_LOCAL)
    # Ranges first: every later computation on a clean row fits its type (rules.py).
    checks = [
        C.check(F.col("line_number") < 1, "INVALID_VALUE", "line_number must be >= 1"),
        C.check(
            F.col("line_number") > rules.MAX_LINES_PER_ORDER,
            "INVALID_VALUE",
            f"line_number above {rules.MAX_LINES_PER_ORDER}",
        ),
        C.check(q <= 0, "NON_POSITIVE_QUANTITY", "quantity <= 0"),
        C.check(q > rules.MAX_QUANTITY, "INVALID_VALUE", f"quantity above {rules.MAX_QUANTITY}"),
        C.check(price <= 0, "ABSURD_PRICE", "unit_price <= 0"),
        C.check(price > most, "ABSURD_PRICE", f"unit_price above {rules.MAX_AMOUNT_LOCAL}"),
        C.check(
            q * price > most,  # exact: int x decimal(24,8) is decimal(35,8)
            "INVALID_VALUE",
            f"quantity x unit_price above {rules.MAX_AMOUNT_LOCAL}",
        ),
        C.check((pct < 0) | (pct >= 1), "INVALID_VALUE", "discount_pct not in [0, 1)"),
    ]
    marked, malformed = triage(ctx, bronze, "order_items", fields, checks)
    orders = ctx.lookups["orders_today"].withColumn("_order_found", F.lit(True))
    rejected = ctx.lookups["orders_rejected"].withColumn("_order_rejected", F.lit(True))
    products = ctx.lookups["products"].select(
        "product_id",
        "list_price_usd",
        "manufacturing_price_usd",
        F.lit(True).alias("_product_found"),
    )
    rows = (
        clean_rows(marked)
        .withColumn("discount_pct", pct)
        .join(orders, on="order_id", how="left")
        .join(rejected, on="order_id", how="left")
        .join(F.broadcast(products), on="product_id", how="left")
        .crossJoin(F.broadcast(_fx_bounds(ctx.lookups["fx"])))
    )
    found = F.coalesce(F.col("_order_found"), F.lit(False))
    rows = add_checks(
        rows,
        [
            C.check(
                F.col("_product_found").isNull(),
                "ORPHAN_KEY",
                "product_id never seen in a product snapshot",
            ),
            C.check(_absurd_price(), "ABSURD_PRICE", _ABSURD_RULE),
            *orphan_checks(
                "order",
                found,
                F.coalesce(F.col("_order_rejected"), F.lit(False)),
                "order_id not among this batch's orders",
            ),
        ],
    )
    q = F.col("quantity")
    amounts = line_amounts(q, F.col("unit_price"), F.col("discount_pct"), F.col("fx_usd_per_unit"))
    cogs = C.round_money(_dec(q, 10, 0) * F.col("manufacturing_price_usd"))
    conformed = rows.withColumns(
        {
            **amounts,
            "unit_price_local": C.round_money(F.col("unit_price")),
            "discount_band": R.discount_band(F.col("discount_pct")),
            "cogs_usd": cogs,
            "ingest_date": F.lit(ctx.day).cast("date"),
        }
    ).withColumn("profit_usd", C.round_money(F.col("net_amount_usd") - F.col("cogs_usd")))
    return finish("order_items", ctx, marked, malformed, conformed, F.col("order_date"))


def finish_orders(stage: OrdersStage, items: DataFrame, ctx: Context) -> EntityResult:
    """Orders with totals over their clean lines (0 when every line was rejected)."""
    totals = items.groupBy("order_id").agg(
        F.sum("quantity").cast("int").alias("total_items"),
        F.sum("net_amount_local").alias("total_amount_local"),
        F.sum("net_amount_usd").alias("total_amount_usd"),
    )
    zero = F.lit(0).cast("decimal(18,2)")
    conformed = stage.conformed.join(totals, on="order_id", how="left").withColumns(
        {
            "total_items": F.coalesce(F.col("total_items"), F.lit(0)),
            "total_amount_local": F.coalesce(F.col("total_amount_local"), zero),
            "total_amount_usd": F.coalesce(F.col("total_amount_usd"), zero),
        }
    )
    return finish("orders", ctx, stage.marked, stage.malformed, conformed, F.col("order_date"))
