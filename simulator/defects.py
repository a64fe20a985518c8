"""Defect kinds, their rates, where they apply, and what cleaning should do with them.

Each landing record carries at most one injected defect, so the manifest can say
exactly which record is wrong and why. ``KINDS`` is the scoring key for the cleaning
job: the expected outcome is either ``repaired`` (the row reaches silver, fixed),
``quarantined`` with a reason code from :data:`retail_kpi.schemas.REASON_CODES`, or
``deduplicated`` (the extra copy is dropped and counted as a duplicate).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

MISSING_AGE = "missing_age"
MISSING_EMAIL = "missing_email"
MISSING_COUNTRY = "missing_country"
COUNTRY_TYPO = "country_typo"
COUNTRY_VARIANT = "country_variant"
UNKNOWN_COUNTRY = "unknown_country"
MALFORMED_EMAIL = "malformed_email"
NON_POSITIVE_QUANTITY = "non_positive_quantity"
ABSURD_PRICE = "absurd_price"
FUTURE_DATE = "future_date"
ORPHAN_PRODUCT = "orphan_product"
EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
LATE_ARRIVING = "late_arriving"
WRONG_FIELD_COUNT = "wrong_field_count"
BROKEN_QUOTING = "broken_quoting"
NON_UTF8 = "non_utf8"

REPAIRED, QUARANTINED, DEDUPLICATED = "repaired", "quarantined", "deduplicated"
VALUE, LINE, DUPLICATE, LATE = "value", "line", "duplicate", "late"


@dataclass(frozen=True)
class KindSpec:
    """Where a kind is injected and what the cleaning job is expected to do with it."""

    level: str  # VALUE (one field changed), LINE (raw line broken), DUPLICATE, LATE
    targets: dict[str, str]  # entity -> column changed ("" for whole-line kinds)
    outcome: str  # REPAIRED, QUARANTINED or DEDUPLICATED
    reason_code: str | None  # REASON_CODES key when quarantined
    expected: str  # one sentence for docs/DATA.md


_COUNTRY = {"customers": "country", "orders": "country", "web_sessions": "country"}
_LINES = {e: "" for e in ("customers", "orders", "order_items", "web_sessions")}
_DUPS = {e: "" for e in ("orders", "order_items", "web_sessions")}

KINDS: dict[str, KindSpec] = {
    MISSING_AGE: KindSpec(
        VALUE,
        {"customers": "age"},
        REPAIRED,
        None,
        "age imputed with the country median, is_age_imputed = true",
    ),
    MISSING_EMAIL: KindSpec(
        VALUE,
        {"customers": "email"},
        REPAIRED,
        None,
        "row kept, email NULL, is_email_valid = false",
    ),
    MISSING_COUNTRY: KindSpec(
        VALUE,
        {"customers": "country"},
        QUARANTINED,
        "MISSING_REQUIRED",
        "customer has no country: quarantined",
    ),
    COUNTRY_TYPO: KindSpec(
        VALUE,
        _COUNTRY,
        REPAIRED,
        None,
        "misspelt country name (edit distance <= 2) mapped to its ISO code",
    ),
    COUNTRY_VARIANT: KindSpec(
        VALUE, _COUNTRY, REPAIRED, None, "case/whitespace/name variant mapped to its ISO code"
    ),
    UNKNOWN_COUNTRY: KindSpec(
        VALUE,
        _COUNTRY,
        QUARANTINED,
        "UNKNOWN_COUNTRY",
        "country that matches no supported country: quarantined",
    ),
    MALFORMED_EMAIL: KindSpec(
        VALUE,
        {"customers": "email"},
        REPAIRED,
        None,
        "row kept, email NULL, is_email_valid = false",
    ),
    NON_POSITIVE_QUANTITY: KindSpec(
        VALUE,
        {"order_items": "quantity"},
        QUARANTINED,
        "NON_POSITIVE_QUANTITY",
        "quantity 0 or negative",
    ),
    ABSURD_PRICE: KindSpec(
        VALUE,
        {"order_items": "unit_price"},
        QUARANTINED,
        "ABSURD_PRICE",
        "unit price x1000 or negative",
    ),
    FUTURE_DATE: KindSpec(
        VALUE,
        {"orders": "order_ts"},
        QUARANTINED,
        "FUTURE_DATE",
        "order_ts 1-3 years after the landing date",
    ),
    ORPHAN_PRODUCT: KindSpec(
        VALUE,
        {"order_items": "product_id"},
        QUARANTINED,
        "ORPHAN_KEY",
        "product_id P9xxxx not in the catalogue",
    ),
    EXACT_DUPLICATE: KindSpec(
        DUPLICATE,
        _DUPS,
        DEDUPLICATED,
        None,
        "byte-identical copy later in the file; first copy kept",
    ),
    NEAR_DUPLICATE: KindSpec(
        DUPLICATE,
        _DUPS,
        DEDUPLICATED,
        None,
        "same key, cosmetic difference that vanishes after cleaning",
    ),
    LATE_ARRIVING: KindSpec(
        LATE,
        {"orders": "", "order_items": ""},
        REPAIRED,
        None,
        "loaded into its business date (dt = original_value), is_late",
    ),
    WRONG_FIELD_COUNT: KindSpec(
        LINE, _LINES, QUARANTINED, "MALFORMED_LINE", "one field missing or one extra field"
    ),
    BROKEN_QUOTING: KindSpec(
        LINE,
        _LINES,
        QUARANTINED,
        "MALFORMED_LINE",
        "a field opens a quote that never closes (read line by line)",
    ),
    NON_UTF8: KindSpec(
        LINE, _LINES, QUARANTINED, "MALFORMED_LINE", "invalid UTF-8 bytes inside the second field"
    ),
}


@dataclass(frozen=True)
class DefectRates:
    """Share of eligible records that get each defect kind (per entity it applies to).

    A rate of 0.01 means about 1 % of the entity's records carry that defect. Late
    records and duplicates are extra records, counted relative to the day's records.
    """

    missing_age: float = 0.02
    missing_email: float = 0.01
    missing_country: float = 0.005
    country_typo: float = 0.01
    country_variant: float = 0.01
    unknown_country: float = 0.002
    malformed_email: float = 0.01
    non_positive_quantity: float = 0.003
    absurd_price: float = 0.002
    future_date: float = 0.002
    orphan_product: float = 0.002
    exact_duplicate: float = 0.003
    near_duplicate: float = 0.002
    late_arriving: float = 0.01
    wrong_field_count: float = 0.001
    broken_quoting: float = 0.001
    non_utf8: float = 0.001

    @classmethod
    def none(cls) -> DefectRates:
        """Clean data: every rate zero."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def scaled(cls, factor: float) -> DefectRates:
        """The defaults multiplied by ``factor`` (handy for tests and demos)."""
        return cls(**{k: v * factor for k, v in asdict(cls()).items()})

    def rate(self, kind: str) -> float:
        return float(getattr(self, kind))

    def validate(self) -> None:
        """Rates are shares: each in [0, 1) and, per entity, summing below 1."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0 <= value < 1:
                raise ValueError(f"defect rate {f.name}={value} must be in [0, 1).")
        entities = {e for spec in KINDS.values() for e in spec.targets}
        for entity in entities:
            total = sum(self.rate(k) for k in kinds_for(entity))
            if total >= 0.5:
                raise ValueError(f"defect rates of {entity} sum to {total:.2f}; keep them < 0.5.")


def kinds_for(entity: str, level: str | None = None) -> list[str]:
    """Kinds injected into ``entity`` (optionally only one level), in a stable order."""
    return [
        k
        for k, spec in KINDS.items()
        if entity in spec.targets and (level is None or spec.level == level)
    ]


#: Recognisable misspellings of the display names (edit distance <= 2, case-insensitive).
COUNTRY_TYPOS: dict[str, tuple[str, ...]] = {
    "USA": ("Untied States", "United Staes", "Unted States"),
    "CAN": ("Canda", "Cananda", "Canadaa"),
    "FRA": ("Frnace", "Farnce", "Frane"),
    "DEU": ("Germny", "Gremany", "Germnay"),
    "MEX": ("Mexco", "Mexcio", "Mejico"),
}
#: Same country, other spelling: case, surrounding whitespace, display name.
COUNTRY_VARIANTS: dict[str, tuple[str, ...]] = {
    "USA": (" usa ", "usa", "United States", "UNITED STATES", "Usa "),
    "CAN": ("CANADA", "canada", " Canada", "can", "Can "),
    "FRA": ("france", "FRANCE ", "France", " fra", "Fra"),
    "DEU": ("germany", "GERMANY", "Germany ", "deu", " Deu"),
    "MEX": ("mexico", " MEXICO", "Mexico", "mex ", "Mex"),
}
#: Truly unknown values: edit distance >= 3 from every code and name.
UNKNOWN_COUNTRIES: tuple[str, ...] = ("Atlantis", "Narnia", "Wakanda", "Gondor", "Elbonia")
