"""The data contract between layers: landing columns, their logical types, and layout.

The generator writes exactly these columns (in this order, with a header row) and the
Spark ingest reads them with an explicit all-string schema (types are applied in the
clean step so that a bad value is quarantined with a reason instead of becoming NULL).

Landing layout, one folder per entity and business date::

    <landing>/<entity>/dt=YYYY-MM-DD/<entity>.csv        (or .jsonl)
    <landing>/_manifest/dt=YYYY-MM-DD/manifest.json     (counts + injected defects)

Files whose name starts with ``_`` or ``.`` are never data (Spark skips them too).
Timestamps are ISO-8601 ``YYYY-MM-DDTHH:MM:SS`` in UTC; dates ``YYYY-MM-DD``; money is a
plain decimal in the row's local currency unless the column name ends in ``_usd``.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTRIES: dict[str, str] = {
    # ISO-3166 alpha-3 code -> (display name is in COUNTRY_NAMES); value: currency
    "USA": "USD",
    "CAN": "CAD",
    "FRA": "EUR",
    "DEU": "EUR",
    "MEX": "MXN",
}
COUNTRY_NAMES: dict[str, str] = {
    "USA": "United States",
    "CAN": "Canada",
    "FRA": "France",
    "DEU": "Germany",
    "MEX": "Mexico",
}
CURRENCIES: tuple[str, ...] = ("USD", "CAD", "EUR", "MXN")
CHANNELS: tuple[str, ...] = ("web", "mobile", "store")
ORDER_STATUSES: tuple[str, ...] = ("completed", "cancelled", "refunded")
SEGMENTS: tuple[str, ...] = (
    "Consumer",
    "Small Business",
    "Midmarket",
    "Enterprise",
    "Government",
    "Channel Partners",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of: string, int, decimal, timestamp, date, boolean
    nullable: bool = True


def _cols(*spec: str) -> tuple[Column, ...]:
    """Parse ``"name:type"`` / ``"name:type!"`` (``!`` = required) into columns."""
    out = []
    for item in spec:
        name, typ = item.split(":")
        out.append(Column(name, typ.rstrip("!"), nullable=not typ.endswith("!")))
    return tuple(out)


#: Landing entities -> columns, in file order. ``!`` marks business keys/required values.
LANDING: dict[str, tuple[Column, ...]] = {
    # Snapshot of every customer as known at the end of the business date; a changed
    # attribute (move, segment, email) bumps updated_at, which feeds SCD2.
    "customers": _cols(
        "customer_id:string!",
        "first_name:string",
        "last_name:string",
        "email:string",
        "age:int",
        "gender:string",
        "segment:string",
        "country:string",
        "city:string",
        "address:string",
        "registration_date:date",
        "updated_at:timestamp!",
    ),
    # Snapshot of the catalogue as of the date; list_price_usd changes now and then.
    "products": _cols(
        "product_id:string!",
        "product_name:string",
        "category:string",
        "subcategory:string",
        "brand:string",
        "manufacturing_price_usd:decimal",
        "list_price_usd:decimal",
        "updated_at:timestamp!",
    ),
    "orders": _cols(
        "order_id:string!",
        "customer_id:string!",
        "order_ts:timestamp!",
        "country:string!",
        "currency:string",
        "channel:string",
        "payment_method:string",
        "status:string",
    ),
    # unit_price is the list price converted to the order's currency; discount_pct in [0, 1).
    "order_items": _cols(
        "order_id:string!",
        "line_number:int!",
        "product_id:string!",
        "quantity:int!",
        "unit_price:decimal!",
        "discount_pct:decimal",
    ),
    "shipments": _cols(
        "shipment_id:string!",
        "order_id:string!",
        "carrier:string",
        "promised_days:int",
        "shipped_ts:timestamp",
        "delivered_ts:timestamp",
        "shipping_cost:decimal",
    ),
    "returns": _cols(
        "return_id:string!",
        "order_id:string!",
        "line_number:int!",
        "product_id:string!",
        "return_ts:timestamp!",
        "quantity:int!",
        "reason:string",
        "refund_amount:decimal",
    ),
    "inventory": _cols(
        "snapshot_date:date!",
        "country:string!",
        "warehouse_id:string!",
        "product_id:string!",
        "on_hand:int",
        "on_order:int",
        "reorder_point:int",
    ),
    "web_sessions": _cols(
        "session_id:string!",
        "customer_id:string",
        "country:string!",
        "channel:string",
        "session_start_ts:timestamp!",
        "duration_s:int",
        "pages_viewed:int",
        "added_to_cart:boolean",
        "converted:boolean",
    ),
    # USD value of one unit of `currency` on rate_date (USD itself is 1).
    "fx_rates": _cols("rate_date:date!", "currency:string!", "usd_per_unit:decimal!"),
}

ENTITIES: tuple[str, ...] = tuple(LANDING)

#: Business key of each entity, the one definition: the clean job detects duplicates on
#: it, quarantine and the simulator's manifest name records by it, Kafka messages are
#: keyed by it, the loader and the KPIs keep one row per key (the latest landing), and the
#: warehouse gate counts facts by it. SCD2 dimensions add ``updated_at`` (a version).
BUSINESS_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "products": ("product_id",),
    "orders": ("order_id",),
    "order_items": ("order_id", "line_number"),
    "shipments": ("shipment_id",),
    "returns": ("return_id",),
    "inventory": ("snapshot_date", "warehouse_id", "product_id"),
    "web_sessions": ("session_id",),
    "fx_rates": ("rate_date", "currency"),
}
#: Separator of multi-column keys as one string (quarantine, manifest, Kafka keys).
KEY_SEPARATOR = "|"
#: The largest record a source may send, in bytes: a landing line or a Kafka message value
#: above it is malformed (quarantined), never parsed.
MAX_RECORD_BYTES = 64 * 1024


def column_names(entity: str) -> list[str]:
    return [c.name for c in LANDING[entity]]


# --------------------------------------------------------------------------------------
# Silver (clean, conformed, typed) contract. Written by spark_jobs/clean.py, read by the
# KPI job, the warehouse load and the validation suites.
#
# Layout: <lake>/silver/<entity>/dt=<business date>/ingest_dt=<landing date>/part-*.parquet
# A run for landing date L replaces only the ingest_dt=L sub-partitions it owns, so a
# late record (order of day D landed on L > D) lands in dt=D without clobbering D's own
# run. Readers of business date D read every ingest_dt under dt=D.
# Snapshot entities (customers, products, fx_rates) use dt = landing date.
# Quarantine: <lake>/quarantine/<entity>/dt=<landing date>/ with columns QUARANTINE.
# Money: *_local in the row's currency, *_usd converted with that day's fx rate,
# both rounded half-up to 2 decimals (decimal(18,2)); rates decimal(18,8).
# --------------------------------------------------------------------------------------
SILVER: dict[str, tuple[Column, ...]] = {
    "customers": _cols(
        "customer_id:string!",
        "first_name:string",
        "last_name:string",
        "email:string",  # NULL when missing or malformed (see is_email_valid)
        "is_email_valid:boolean!",
        "age:int!",  # imputed with the per-country median when missing
        "is_age_imputed:boolean!",
        "age_group:string!",  # 18-24, 25-34, 35-44, 45-54, 55-64, 65+
        "gender:string",
        "segment:string!",
        "country_code:string!",  # ISO alpha-3, one of COUNTRIES
        "city:string",
        "address:string",
        "registration_date:date",
        "updated_at:timestamp!",
    ),
    "products": _cols(
        "product_id:string!",
        "product_name:string!",
        "category:string!",
        "subcategory:string",
        "brand:string",
        "manufacturing_price_usd:decimal!",
        "list_price_usd:decimal!",
        "updated_at:timestamp!",
    ),
    "orders": _cols(
        "order_id:string!",
        "customer_id:string!",  # 'UNKNOWN' when the customer is not in the snapshot
        "order_ts:timestamp!",
        "order_date:date!",
        "country_code:string!",
        "currency:string!",
        "channel:string!",
        "payment_method:string",
        "status:string!",
        "fx_usd_per_unit:decimal!",
        "total_items:int!",  # sum of line quantities (seed 004)
        "total_amount_local:decimal!",  # sum of line net amounts (seed 004 "total cost")
        "total_amount_usd:decimal!",
        "is_late:boolean!",  # landed after its business date
        "ingest_date:date!",
    ),
    "order_items": _cols(
        "order_id:string!",
        "line_number:int!",
        "product_id:string!",
        "order_date:date!",
        "order_ts:timestamp!",
        "country_code:string!",
        "currency:string!",
        "quantity:int!",
        "unit_price_local:decimal!",
        "discount_pct:decimal!",
        "discount_band:string!",  # None (0), Low (<5%), Medium (<10%), High (>=10%)
        "gross_amount_local:decimal!",  # quantity * unit_price
        "discount_amount_local:decimal!",
        "net_amount_local:decimal!",  # gross - discount
        "gross_amount_usd:decimal!",
        "discount_amount_usd:decimal!",
        "net_amount_usd:decimal!",
        "cogs_usd:decimal!",  # quantity * manufacturing_price_usd
        "profit_usd:decimal!",  # net_amount_usd - cogs_usd
        "ingest_date:date!",
    ),
    "shipments": _cols(
        "shipment_id:string!",
        "order_id:string!",
        "order_date:date!",
        "country_code:string!",
        "carrier:string!",
        "promised_days:int",
        "shipped_ts:timestamp",
        "delivered_ts:timestamp",
        "days_to_ship:decimal",
        "days_to_deliver:decimal",
        "is_on_time:boolean",
        "shipping_cost_local:decimal",
        "shipping_cost_usd:decimal",
        "ingest_date:date!",
    ),
    "returns": _cols(
        "return_id:string!",
        "order_id:string!",
        "line_number:int!",
        "product_id:string!",
        "return_date:date!",
        "return_ts:timestamp!",
        "country_code:string!",
        "quantity:int!",
        "reason:string!",
        "refund_amount_local:decimal!",
        "refund_amount_usd:decimal!",
        "ingest_date:date!",
    ),
    "inventory": _cols(
        "snapshot_date:date!",
        "country_code:string!",
        "warehouse_id:string!",
        "product_id:string!",
        "on_hand:int!",
        "on_order:int!",
        "reorder_point:int!",
        "is_low_stock:boolean!",  # on_hand <= reorder_point
        "is_stock_out:boolean!",  # on_hand = 0
        "ingest_date:date!",
    ),
    "web_sessions": _cols(
        "session_id:string!",
        "customer_id:string",
        "session_date:date!",
        "session_start_ts:timestamp!",
        "country_code:string!",
        "channel:string!",
        "duration_s:int!",
        "pages_viewed:int!",
        "added_to_cart:boolean!",
        "converted:boolean!",
        "ingest_date:date!",
    ),
    "fx_rates": _cols("rate_date:date!", "currency:string!", "usd_per_unit:decimal!"),
}

#: Columns of every quarantine dataset (one per entity).
QUARANTINE: tuple[Column, ...] = _cols(
    "entity:string!",
    "record_key:string",  # business key when it could be parsed, else NULL
    "raw_record:string!",  # the original line / record, whole
    "reason_code:string!",  # one of REASON_CODES
    "rule:string!",  # the rule that fired, human readable
    "source_file:string!",
    "source_line:int",
    "run_id:string!",
    "ingest_date:date!",
)

#: Documented reason codes for quarantine (docs/DATA_QUALITY.md explains each).
REASON_CODES: dict[str, str] = {
    "MALFORMED_LINE": "wrong field count, broken quoting, undecodable bytes or oversized",
    "MISSING_REQUIRED": "a required value (key, date, quantity, price, country) is empty",
    "BAD_TYPE": "a value does not parse as its type (number, date, timestamp, boolean)",
    "UNKNOWN_COUNTRY": "country not recognisable as one of the supported countries",
    "NON_POSITIVE_QUANTITY": "quantity <= 0",
    "ABSURD_PRICE": "price outside the plausible range for the product",
    "FUTURE_DATE": "business timestamp after the end of the landing date",
    "ORPHAN_KEY": "references a product/order that does not exist",
    "INVALID_VALUE": "value outside its allowed set or range (status, channel, rate...)",
    "PARENT_QUARANTINED": "the order this record belongs to was quarantined in the same batch",
    "MISSING_FX_RATE": "no FX rate is known for the record's currency",
    "CONTROL_CHARACTER": "a value holds a control character (NUL, C0 other than tab/LF/CR, DEL)",
}
