"""Spark expressions of the rule tables in ``retail_kpi.cleaning`` (built-ins only).

Each function mirrors a pure-Python twin; tests run both on the same inputs.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import countries, rules


def _lit_map(mapping: dict[str, str]) -> Column:
    return F.create_map(*[F.lit(x) for kv in sorted(mapping.items()) for x in kv])


def _sql_str(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def country_key_sql(column: str) -> str:
    """SQL of ``countries.normalise_key``: accents folded, upper-cased, letters only."""
    accents = f"{_sql_str(countries.ACCENTS_FROM)}, {_sql_str(countries.ACCENTS_TO)}"
    folded = f"translate(`{column}`, {accents})"
    return f"regexp_replace(upper({folded}), '[^A-Z]', '')"


def _fuzzy_sql(key: str, target: str) -> str:
    limit = 2 if len(target) >= countries.LONG_NAME else 1
    letters = ", ".join(_sql_str(ch) for ch in sorted(target))
    same_first = f"substring({key}, 1, 1) = {_sql_str(target[0])}"
    anagram = f"({same_first} AND array_sort(split({key}, '')) = array({letters}))"
    close = f"levenshtein({key}, {_sql_str(target)}, {limit}) >= 0"
    return f"(length({key}) >= {countries.MIN_FUZZY_LEN} AND ({anagram} OR {close}))"


def country_code(column: str) -> Column:
    """ISO alpha-3 code of a raw country column, NULL when missing or not recognisable.

    Built as one SQL expression (one JVM round trip instead of hundreds of Column calls).
    """
    key = country_key_sql(column)
    aliases = ", ".join(
        f"{_sql_str(k)}, {_sql_str(v)}" for k, v in sorted(countries.ALIASES.items())
    )
    by_code: dict[str, list[str]] = {}
    for target, code in countries.FUZZY_TARGETS.items():
        by_code.setdefault(code, []).append(target)
    hits = {code: " OR ".join(_fuzzy_sql(key, t) for t in ts) for code, ts in by_code.items()}
    n_hits = " + ".join(f"CAST(({h}) AS INT)" for h in hits.values())
    pick = " ".join(f"WHEN {h} THEN {_sql_str(code)}" for code, h in hits.items())
    alias = f"try_element_at(map({aliases}), {key})"
    return F.expr(
        f"CASE WHEN {key} = '' THEN NULL WHEN {alias} IS NOT NULL THEN {alias} "
        f"WHEN ({n_hits}) = 1 THEN CASE {pick} END END"
    )


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


def too_old(business_date: Column, day: str, history_from: str | None = None) -> Column:
    """Beyond the late-arrival window of landing date ``day``, unless within a bulk history
    drop's window (from ``history_from``): :func:`retail_kpi.cleaning.rules.is_too_old`."""
    old = F.datediff(F.lit(day).cast("date"), business_date) > rules.LATE_ARRIVAL_MAX_DAYS
    if history_from is None:
        return old
    return old & (business_date < F.lit(history_from).cast("date"))
