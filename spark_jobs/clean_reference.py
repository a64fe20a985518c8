"""Clean the reference snapshots: FX rates, products and customers."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import rules
from spark_jobs import common as C
from spark_jobs import conform_rules as R
from spark_jobs.dispose import Context, EntityResult, Field, clean_rows, finish, triage

REQ = Field(required=True)


def clean_fx_rates(bronze: DataFrame, ctx: Context) -> EntityResult:
    """Rates of one currency on one date; USD must be 1, every rate in (0, MAX_FX_RATE]."""
    fields = {
        "rate_date": Field("date", True),
        "currency": Field("upper", True),
        "usd_per_unit": Field("decimal", True),
    }
    rate, currency = F.col("usd_per_unit"), F.col("currency")
    checks = [
        C.check(~currency.isin(*schemas.CURRENCIES), "INVALID_VALUE", "currency not supported"),
        C.check(rate <= 0, "INVALID_VALUE", "usd_per_unit must be positive"),
        C.check(
            rate > F.lit(rules.MAX_FX_RATE),
            "INVALID_VALUE",
            f"usd_per_unit above {rules.MAX_FX_RATE}",
        ),
        C.check((currency == "USD") & (rate != 1), "INVALID_VALUE", "USD rate must be 1"),
        C.check(
            F.col("rate_date") > F.lit(ctx.day).cast("date"),
            "FUTURE_DATE",
            "rate_date after the landing date",
        ),
    ]
    marked, malformed = triage(ctx, bronze, "fx_rates", fields, checks)
    conformed = clean_rows(marked)
    return finish("fx_rates", ctx, marked, malformed, conformed, F.lit(ctx.day).cast("date"))


def fx_lookup(rates: DataFrame, needs: DataFrame, date_col: str) -> DataFrame:
    """Pick the rate of each (currency, ``date_col``) in ``needs``.

    The rate of that date when known, else the latest earlier one, else the earliest
    later one (documented). Both inputs are tiny: distinct dates x 4 currencies.
    """
    cand = needs.select("currency", date_col).distinct().join(rates, on="currency", how="inner")
    before = F.col("rate_date") <= F.col(date_col)
    gap = F.abs(F.datediff(F.col(date_col), F.col("rate_date")))
    w = Window.partitionBy("currency", date_col).orderBy(before.desc(), gap.asc())
    return (
        cand.withColumn("_rn", F.row_number().over(w))
        .filter(F.col("_rn") == 1)
        .select("currency", date_col, F.col("usd_per_unit").alias("fx_usd_per_unit"))
    )


def known_versions(
    today: DataFrame,
    history: DataFrame | None,
    entity: str,
    columns: list[str],
    newest: str | None = "updated_at",
) -> DataFrame:
    """One row per business key of ``entity`` known to the lake: today's clean row, else an
    earlier landing's silver row (the latest version by ``newest`` when given).

    A record quarantined today (a stray byte, a bad price) keeps resolving through the
    version the warehouse's dimension still has current, so its order lines, inventory
    and orders are not orphaned by one bad snapshot row; an FX rate landed on an earlier
    day keeps converting late records.
    """
    keys = list(schemas.BUSINESS_KEYS[entity])
    cols = [*keys, *columns]
    order = [F.col("_prio"), *([F.col(newest).desc()] if newest else [])]
    extra = [newest] if newest else []
    frames = [today.select(*cols, *extra, F.lit(0).alias("_prio"))]
    if history is not None:
        frames.append(history.select(*cols, *extra, F.lit(1).alias("_prio")))
    w = Window.partitionBy(*keys).orderBy(*order)
    union = C.union_all(frames)
    return union.withColumn("_rn", F.row_number().over(w)).filter(F.col("_rn") == 1).select(*cols)


def clean_products(bronze: DataFrame, ctx: Context) -> EntityResult:
    """Catalogue snapshot; prices must be positive and plausible."""
    fields = {
        "product_id": REQ,
        "product_name": Field("name", True),
        "category": Field("name", True),
        "subcategory": Field("name"),
        "brand": Field("name"),
        "manufacturing_price_usd": Field("decimal", True),
        "list_price_usd": Field("decimal", True),
        "updated_at": Field("ts", True),
    }

    def price_ok(c: str) -> F.Column:
        return (F.col(c) > 0) & (F.col(c) <= F.lit(rules.MAX_PRICE_USD))

    checks = [
        C.check(
            ~price_ok("manufacturing_price_usd"),
            "ABSURD_PRICE",
            f"manufacturing_price_usd not in (0, {rules.MAX_PRICE_USD}]",
        ),
        C.check(
            ~price_ok("list_price_usd"),
            "ABSURD_PRICE",
            f"list_price_usd not in (0, {rules.MAX_PRICE_USD}]",
        ),
        C.check(
            F.col("updated_at") >= R.end_of_day(ctx.day),
            "FUTURE_DATE",
            "updated_at after the landing date",
        ),
    ]
    marked, malformed = triage(ctx, bronze, "products", fields, checks, newest_first="updated_at")
    conformed = clean_rows(marked).withColumns(
        {c: C.round_money(F.col(c)) for c in ("manufacturing_price_usd", "list_price_usd")}
    )
    return finish("products", ctx, marked, malformed, conformed, F.lit(ctx.day).cast("date"))


def impute_ages(df: DataFrame) -> DataFrame:
    """Median age per country (half-up to a whole year) for missing/implausible ages."""
    valid = F.col("age").between(rules.AGE_MIN, rules.AGE_MAX)
    known = df.filter(valid)
    per_country = known.groupBy("country_code").agg(F.median("age").alias("_median"))
    overall = known.agg(F.median("age").alias("_overall"))
    filled = df.join(F.broadcast(per_country), on="country_code", how="left").crossJoin(
        F.broadcast(overall)
    )
    median = F.coalesce(F.col("_median"), F.col("_overall"), F.lit(rules.AGE_FALLBACK))
    imputed = F.round(median.cast("decimal(10,2)"), 0).cast("int")
    return filled.withColumns(
        {
            "is_age_imputed": ~F.coalesce(valid, F.lit(False)),
            "age": F.when(valid, F.col("age")).otherwise(imputed),
        }
    ).drop("_median", "_overall")


def clean_customers(bronze: DataFrame, ctx: Context) -> EntityResult:
    """Customer snapshot: country standardised, email validated, ages imputed."""
    fields = {
        "customer_id": REQ,
        "first_name": Field("name"),
        "last_name": Field("name"),
        "email": Field("lower"),
        "age": Field("str"),  # parsed below: a bad age is imputed, not quarantined
        "gender": Field("name"),
        "segment": Field("name", True),
        "country": Field("str", True),
        "city": Field("name"),
        "address": Field("name"),
        "registration_date": Field("date"),
        "updated_at": Field("ts", True),
    }
    checks = [
        C.check(
            F.col("country_code").isNull(),
            "UNKNOWN_COUNTRY",
            "country not recognisable as a supported country",
        ),
        C.check(F.col("segment").isNull(), "INVALID_VALUE", "segment not in SEGMENTS"),
        C.check(
            F.col("updated_at") >= R.end_of_day(ctx.day),
            "FUTURE_DATE",
            "updated_at after the landing date",
        ),
        C.check(
            F.col("registration_date") > F.lit(ctx.day).cast("date"),
            "FUTURE_DATE",
            "registration_date after the landing date",
        ),
    ]
    derive = {
        "country_code": R.country_code("country"),
        "segment": R.segment(F.col("segment")),
    }
    marked, malformed = triage(
        ctx, bronze, "customers", fields, checks, newest_first="updated_at", derive=derive
    )
    valid_email = R.email_valid(F.col("email"))
    conformed = clean_rows(marked).withColumns(
        {
            "is_email_valid": valid_email,
            "email": F.when(valid_email, F.col("email")),
            "age": C.to_int(F.col("age")),
        }
    )
    conformed = impute_ages(conformed).withColumn("age_group", R.age_group(F.col("age")))
    return finish("customers", ctx, marked, malformed, conformed, F.lit(ctx.day).cast("date"))
