"""Realistic, dirty, deterministic retail data with a ground-truth defect manifest.

``generate_day(day, out_root, ...)`` writes every landing entity of one date (see
``retail_kpi.schemas.LANDING``) and returns the manifest; docs/DATA.md describes the
entities, the defect kinds and the expected cleaning outcome of each.
"""

from simulator.core import generate_day
from simulator.defects import (
    ABSURD_PRICE,
    BROKEN_QUOTING,
    COUNTRY_TYPO,
    COUNTRY_VARIANT,
    EXACT_DUPLICATE,
    FUTURE_DATE,
    KINDS,
    LATE_ARRIVING,
    MALFORMED_EMAIL,
    MISSING_AGE,
    MISSING_COUNTRY,
    MISSING_EMAIL,
    NEAR_DUPLICATE,
    NON_POSITIVE_QUANTITY,
    NON_UTF8,
    ORPHAN_PRODUCT,
    UNKNOWN_COUNTRY,
    WRONG_FIELD_COUNT,
    DefectRates,
    KindSpec,
    kinds_for,
)

__all__ = [
    "ABSURD_PRICE",
    "BROKEN_QUOTING",
    "COUNTRY_TYPO",
    "COUNTRY_VARIANT",
    "EXACT_DUPLICATE",
    "FUTURE_DATE",
    "KINDS",
    "LATE_ARRIVING",
    "MALFORMED_EMAIL",
    "MISSING_AGE",
    "MISSING_COUNTRY",
    "MISSING_EMAIL",
    "NEAR_DUPLICATE",
    "NON_POSITIVE_QUANTITY",
    "NON_UTF8",
    "ORPHAN_PRODUCT",
    "UNKNOWN_COUNTRY",
    "WRONG_FIELD_COUNT",
    "DefectRates",
    "KindSpec",
    "generate_day",
    "kinds_for",
]
