"""Rule tables of the clean step: keys, business dates, bands, thresholds, types.

Plain data so that Spark, the tests and the docs agree on one definition. Each rule is
explained in docs/DATA_QUALITY.md; change both together.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

# ---- keys and dates -----------------------------------------------------------------

#: Snapshot entities: partitioned by landing date, newest ``updated_at`` wins a key tie.
SNAPSHOTS: tuple[str, ...] = ("customers", "products", "fx_rates")
#: Order in which the job cleans entities (lookups before the records that use them).
CLEAN_ORDER: tuple[str, ...] = (
    "fx_rates",
    "products",
    "customers",
    "orders",
    "order_items",
    "shipments",
    "returns",
    "inventory",
    "web_sessions",
)

#: Records whose business date is older than this many days before the landing date are
#: rejected (INVALID_VALUE); younger ones are late arrivals routed to their own date.
LATE_ARRIVAL_MAX_DAYS = 90
#: How far back shipments and returns look for the order they belong to.
ORDER_LOOKBACK_DAYS = 180
#: Customer id given to orders whose customer is not in the day's snapshot.
UNKNOWN_CUSTOMER_ID = "UNKNOWN"
#: Reason a return gets when it lands without one (repaired, not quarantined).
UNKNOWN_RETURN_REASON = "Unspecified"

# ---- value rules --------------------------------------------------------------------

#: Plausible customer ages; anything else is treated as missing and imputed.
AGE_MIN, AGE_MAX = 18, 100
#: Age used when a country (and the whole snapshot) has no valid age to take a median of.
AGE_FALLBACK = 40
#: (lower bound inclusive, label); the upper bound is the next lower bound.
AGE_GROUPS: tuple[tuple[int, str], ...] = (
    (18, "18-24"),
    (25, "25-34"),
    (35, "35-44"),
    (45, "45-54"),
    (55, "55-64"),
    (65, "65+"),
)
#: discount_pct upper bounds (exclusive) of the bands after "None" (exactly 0).
DISCOUNT_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("0.05"), "Low"),
    (Decimal("0.10"), "Medium"),
)
DISCOUNT_NONE, DISCOUNT_TOP = "None", "High"

#: A unit price is absurd when its USD value is outside [list/F, list*F] of the product.
ABSURD_PRICE_FACTOR = Decimal(3)
#: Hard bounds for any price (USD) regardless of the product.
MAX_PRICE_USD = Decimal(100_000)
#: Range limits checked before any arithmetic, so that no record can overflow a silver
#: decimal (money is decimal(18,2): below 10^16) or a computation on it. A line's local
#: amount is at most MAX_AMOUNT_LOCAL (10^10), in USD at most 10^10 x MAX_FX_RATE =
#: 10^12; an order holds at most MAX_LINES_PER_ORDER lines, so its totals stay below
#: 10^13 local / 10^15 USD and its total_items below 10^9 (an int holds 2.1 x 10^9).
#: The intermediate casts of ``spark_jobs.clean_sales.line_amounts`` hold amounts below
#: 10^12 and rates below 10^7. docs/DATA_QUALITY.md "Ranges".
MAX_QUANTITY = 1_000_000
MAX_LINES_PER_ORDER = 1_000
#: Any single local-currency amount: unit price, quantity x unit price, shipping cost, refund.
MAX_AMOUNT_LOCAL = Decimal(10**10)
#: USD per unit of a currency (the supported ones are 0.05..1.5).
MAX_FX_RATE = Decimal(100)
#: Characters no text value may hold: C0 controls except tab, LF and CR (tab is ordinary
#: whitespace; line breaks inside a field are the ingest's business), and DEL. A NUL
#: reaching PostgreSQL fails the whole date's COPY. Java regex syntax (Spark's rlike).
CONTROL_CHARACTERS = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
#: Same as a pattern over a raw line, escaped controls of JSON lines included: a cheap
#: per-row gate before the per-field search (may match more, never less).
CONTROL_IN_RAW_LINE = CONTROL_CHARACTERS + r"|\\u00[01][0-9A-Fa-f]|\\u007[Ff]"
#: Accepted email shape: something@something.tld, no spaces, one @.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
#: Landing timestamp formats tried in order (ISO first, the contract's format).
TIMESTAMP_FORMATS: tuple[str, ...] = ("yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss")
DATE_FORMAT = "yyyy-MM-dd"
TRUE_VALUES: tuple[str, ...] = ("true", "t", "1", "yes", "y")
FALSE_VALUES: tuple[str, ...] = ("false", "f", "0", "no", "n")

# ---- types --------------------------------------------------------------------------

#: decimal(p, s) of silver columns; every other decimal column is money, MONEY.
MONEY = (18, 2)
DECIMALS: dict[str, tuple[int, int]] = {
    "usd_per_unit": (18, 8),
    "fx_usd_per_unit": (18, 8),
    "discount_pct": (6, 4),
    "days_to_ship": (10, 2),
    "days_to_deliver": (10, 2),
}
#: Precision used to parse landing money before rounding (keeps the input's decimals).
PARSE_DECIMAL = (24, 8)


def decimal_type(column: str) -> tuple[int, int]:
    """(precision, scale) of a silver decimal column."""
    return DECIMALS.get(column, MONEY)


# ---- pure-Python twins (tests and docs) ----------------------------------------------


def round_money(value: Decimal) -> Decimal:
    """Half-up rounding to cents, as Spark's ``round`` on decimals."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def age_group(age: int) -> str:
    """Label of the band ``age`` falls in (ages are within AGE_MIN..AGE_MAX)."""
    label = AGE_GROUPS[0][1]
    for lower, name in AGE_GROUPS:
        if age >= lower:
            label = name
    return label


def discount_band(pct: Decimal) -> str:
    """None for no discount, then Low/Medium below the bounds, High above."""
    if pct == 0:
        return DISCOUNT_NONE
    for upper, name in DISCOUNT_BANDS:
        if pct < upper:
            return name
    return DISCOUNT_TOP


def is_too_old(business: dt.date, landing: dt.date, history_from: dt.date | None = None) -> bool:
    """True when a late record is beyond the late-arrival window; a record of a bulk
    history drop's window (from ``history_from`` on) is history, never too old."""
    if history_from is not None and business >= history_from:
        return False
    return (landing - business).days > LATE_ARRIVAL_MAX_DAYS
