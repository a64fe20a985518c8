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


def column_names(entity: str) -> list[str]:
    return [c.name for c in LANDING[entity]]
