"""Spark expressions of the rule tables in ``retail_kpi.cleaning`` (built-ins only).

Each function mirrors a pure-Python twin; tests run both on the same inputs.
"""

from __future__ import annotations

import operator
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import countries, rules


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[F.lit(x) for kv in sorted(mapping.items()) for x in kv])


def country_key(c: Column) -> Column:
    """Accent-folded, upper-cased letters only (``countries.normalise_key``)."""
    folded = F.translate(c, countries.ACCENTS_FROM, countries.ACCENTS_TO)
    return F.regexp_replace(F.upper(folded), "[^A-Z]", "")


def _fuzzy(key: Column, target: str) -> Column:
    limit = 2 if len(target) >= countries.LONG_NAME else 1
    anagram = (F.substring(key, 1, 1) == F.lit(target[0])) & (
        F.array_sort(F.split(key, "")) == F.array(*[F.lit(ch) for ch in sorted(target)])
    )
    close = F.levenshtein(key, F.lit(target), limit) >= 0
    return (F.length(key) >= countries.MIN_FUZZY_LEN) & (anagram | close)


def country_code(c: Column) -> Column:
    """ISO alpha-3 code of a raw country value, NULL when missing or not recognisable."""
    key = country_key(c)
    alias = F.try_element_at(_lit_map(countries.ALIASES), key)
    by_code: dict[str, list[str]] = {}
    for target, code in countries.FUZZY_TARGETS.items():
        by_code.setdefault(code, []).append(target)
    hits = {
        code: reduce(operator.or_, [_fuzzy(key, t) for t in ts]) for code, ts in by_code.items()
    }
    n_hits = reduce(operator.add, [h.cast("int") for h in hits.values()])
    fuzzy = F.when(n_hits == 1, F.coalesce(*[F.when(h, F.lit(code)) for code, h in hits.items()]))
    return F.when(key == "", F.lit(None)).when(alias.isNotNull(), alias).otherwise(fuzzy)


def segment(c: Column) -> Column:
    """Canonical segment name (case-insensitive match on SEGMENTS), NULL when unknown."""
    return F.try_element_at(_lit_map({s.lower(): s for s in schemas.SEGMENTS}), F.lower(c))


def email_valid(c: Column) -> Column:
    return F.coalesce(c.rlike(rules.EMAIL_PATTERN), F.lit(False))


def age_group(age: Column) -> Column:
    expr = F.lit(rules.AGE_GROUPS[0][1])
    for lower, label in rules.AGE_GROUPS[1:]:
        expr = F.when(age >= lower, F.lit(label)).otherwise(expr)
    return expr


def discount_band(pct: Column) -> Column:
    expr = F.when(pct == 0, F.lit(rules.DISCOUNT_NONE))
    for upper, label in rules.DISCOUNT_BANDS:
        expr = expr.when(pct < F.lit(upper), F.lit(label))
    return expr.otherwise(F.lit(rules.DISCOUNT_TOP))


def end_of_day(day: str) -> Column:
    """First instant after the landing date (UTC): anything at or after it is the future."""
    return F.to_timestamp(F.date_add(F.lit(day).cast("date"), 1))


def too_old(business_date: Column, day: str) -> Column:
    return F.datediff(F.lit(day).cast("date"), business_date) > rules.LATE_ARRIVAL_MAX_DAYS
