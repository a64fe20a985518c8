"""Generic part of cleaning: parse fields, pick each row's fate, shape quarantine rows.

Every bronze row ends in exactly one of three places, which is what reconciliation
counts: ``clean`` (silver), ``quarantine`` (with the first rule it broke) or
``duplicate`` (removed as an exact or near duplicate of a row that was kept, or as an
older version superseded by it).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from retail_kpi import schemas
from retail_kpi.cleaning import rules
from spark_jobs import common as C

CLEAN, QUARANTINE, DUPLICATE = "clean", "quarantine", "duplicate"
META = ("_source_file", "_source_line", "_raw")

#: field kind -> parser of the trimmed string (NULL = does not parse)
PARSERS: dict[str, Callable[[Column], Column]] = {
    "str": lambda c: c,
    "upper": F.upper,
    "lower": F.lower,
    "int": C.to_int,
    "decimal": C.to_decimal,
    "ts": C.to_ts,
    "date": C.to_date,
    "bool": C.to_bool,
}
_TEXT_KINDS = ("str", "upper", "lower", "name")


@dataclass(frozen=True)
class Field:
    """How one landing column is parsed: ``kind`` and whether a value is required."""

    kind: str = "str"
    required: bool = False


def split_malformed(bronze: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(well-formed rows, malformed rows already carrying their MALFORMED_LINE failure)."""
    bad = bronze.filter(F.col("_parse_error").isNotNull()).withColumn(
        "_failure",
        F.struct(F.lit("MALFORMED_LINE").alias("reason_code"), F.col("_parse_error").alias("rule")),
    )
    return bronze.filter(F.col("_parse_error").isNull()), bad


def parse_fields(df: DataFrame, fields: dict[str, Field]) -> DataFrame:
    """Typed columns (same names) + ``_failure`` for control characters, missing required
    and unparseable values (in that order of precedence).

    Only the listed fields and the meta columns are kept. Three projections, each reading
    the previous one's columns: trim, parse, check. In one projection every value was
    parsed twice, since a check sits in a conditional branch where Spark does not reuse
    the parsed column (2.2 vs 4.5 s for 1.2M web sessions).
    """
    trimmed = df.select(
        *[
            (C.squash(n) if spec.kind == "name" else C.clean_str(n)).alias(n)
            for n, spec in fields.items()
        ],
        *META,
    )
    parsed = trimmed.select(
        *[
            col
            for name, spec in fields.items()
            for col in (
                (
                    F.col(name) if spec.kind in ("str", "name") else PARSERS[spec.kind](F.col(name))
                ).alias(name),
                F.col(name).isNull().alias(f"_empty_{name}"),
            )
        ],
        *META,
        _control_field(list(fields)).alias("_control_in"),
    )
    checks: list[Column] = [
        C.check(
            F.col("_control_in") == name,
            "CONTROL_CHARACTER",
            f"{name} contains a control character (C0 other than tab, LF, CR; or DEL)",
        )
        for name in fields
    ]
    bad_type: list[Column] = []
    for name, spec in fields.items():
        empty = F.col(f"_empty_{name}")
        if spec.required:
            checks.append(C.check(empty, "MISSING_REQUIRED", f"{name} is empty"))
        if spec.kind not in _TEXT_KINDS:
            bad_type.append(
                C.check(
                    ~empty & F.col(name).isNull(), "BAD_TYPE", f"{name} is not a valid {spec.kind}"
                )
            )
    return parsed.select(*fields, *META, C.first_failure(checks + bad_type).alias("_failure"))


def _control_field(names: list[str]) -> Column:
    """Name of the first trimmed value holding a control character, else NULL.

    The per-value search runs only on the rare lines whose raw text could hold one
    (literal or JSON-escaped), so a clean line pays one regex scan, not one per field.
    """
    found = [F.when(F.col(n).rlike(rules.CONTROL_CHARACTERS), F.lit(n)) for n in names]
    return F.when(F.col("_raw").rlike(rules.CONTROL_IN_RAW_LINE), F.coalesce(*found))


def add_checks(df: DataFrame, checks: Iterable[Column]) -> DataFrame:
    """Keep the first failure already found, else the first of ``checks`` that fails."""
    return df.withColumn("_failure", C.first_failure([F.col("_failure"), *checks]))


def key_string(entity: str, prefix: str = "") -> Column:
    """Business key as one string (parts joined by KEY_SEPARATOR); NULL if a part is."""
    parts = [F.col(prefix + k).cast("string") for k in schemas.BUSINESS_KEYS[entity]]
    any_null = reduce(operator.or_, [p.isNull() for p in parts])
    return F.when(~any_null, F.concat_ws(schemas.KEY_SEPARATOR, *parts))


def raw_key(entity: str) -> Column:
    """Best-effort key cut from the raw line (for malformed lines): the key fields' text."""
    names = schemas.column_names(entity)
    fields = F.split(F.col("_raw"), ",")
    csv_parts = [
        F.regexp_replace(F.try_element_at(fields, F.lit(names.index(k) + 1)), r'^\s+|\s+$|"', "")
        for k in schemas.BUSINESS_KEYS[entity]
    ]
    json_parts = [
        F.regexp_extract(F.col("_raw"), f'"{k}"\\s*:\\s*"([^"]*)"', 1)
        for k in schemas.BUSINESS_KEYS[entity]
    ]
    is_json = F.col("_raw").startswith("{")
    return F.when(is_json, F.concat_ws(schemas.KEY_SEPARATOR, *json_parts)).otherwise(
        F.concat_ws(schemas.KEY_SEPARATOR, *csv_parts)
    )


#: Above this many repeated business keys in one batch the repeated keys are joined with
#: a shuffle instead of being broadcast (a landing file delivered twice, say).
MAX_BROADCAST_KEYS = 500_000


def mark_fates(
    df: DataFrame, entity: str, newest_first: Column | None = None, *, small_batch: bool = False
) -> DataFrame:
    """Add ``_record_key``, ``_kept_file``, ``_kept_line``, ``_dup_kind`` and ``_fate``
    (clean/quarantine/duplicate); the result is persisted or a cheap plan over a persisted
    frame.

    Rows sharing a business key compete: valid rows before invalid ones, then (snapshots)
    the newest ``updated_at``; then, when the valid rows disagree on their cleaned values
    (a conflict), the latest file and line (a Kafka message's partition and offset) wins,
    as the latest landing date wins across dates; copies that agree keep the earliest.
    The winner is clean or quarantined by its own failure; a loser is a duplicate when
    it is byte-identical to the winner (exact), valid with the winner's cleaned values
    (near) or valid with other values (superseded), else it is quarantined for its own
    failure. Rows without a usable key never compete (they carry their own failure).

    In a big batch only rows whose key repeats go through the window: the repeated keys
    are counted first (a shuffle of keys alone) and broadcast, so the other rows, nearly
    all of a batch, are never shuffled or sorted with their raw line (1M order lines:
    the clean job 171 -> 148 s). A small batch runs one window over every row: there the
    extra jobs cost more than the shuffle they save (a 2,000-order day: 58 vs 62-68 s).
    """
    df = df.withColumn("_record_key", key_string(entity))
    order = [F.col("_failure").isNotNull().asc()]
    if newest_first is not None:
        order.append(newest_first.desc_nulls_last())
    conflict = F.col("_conflict")
    order += [
        F.when(conflict, F.col("_source_file")).desc_nulls_last(),
        F.when(conflict, F.col("_source_line")).desc_nulls_last(),
        F.col("_source_file").asc(),
        F.col("_source_line").asc(),
    ]
    if small_batch:
        own = F.concat_ws(
            "\u0000", F.lit("row"), F.col("_source_file"), F.col("_source_line").cast("string")
        )
        grouped = df.withColumn("_group", F.coalesce(F.col("_record_key"), own))
        return _compete(grouped, "_group", order).drop("_group").persist()
    df = df.persist()
    repeated = (
        df.filter(F.col("_record_key").isNotNull())
        .groupBy("_record_key")
        .count()
        .filter(F.col("count") > 1)
        .select("_record_key")
        .persist()
    )
    keys = F.broadcast(repeated) if repeated.count() <= MAX_BROADCAST_KEYS else repeated
    alone = df.join(keys, on="_record_key", how="left_anti").withColumns(
        {
            "_kept_file": F.col("_source_file"),
            "_kept_line": F.col("_source_line"),
            "_dup_kind": F.lit(None).cast("string"),
            "_fate": F.when(F.col("_failure").isNull(), F.lit(CLEAN)).otherwise(F.lit(QUARANTINE)),
        }
    )
    competing = _compete(df.join(keys, on="_record_key", how="left_semi"), "_record_key", order)
    columns = [*df.columns, "_kept_file", "_kept_line", "_dup_kind", "_fate"]
    return alone.select(*columns).unionByName(competing.select(*columns))


def _compete(df: DataFrame, group: str, order: list[Column]) -> DataFrame:
    """The fate columns of rows competing within ``group`` (see ``mark_fates``)."""
    ok = F.col("_failure").isNull()
    values = [F.col(c) for c in df.columns if not c.startswith("_")]  # the cleaned values
    content = df.withColumn("_content", F.xxhash64(*values))
    versions = F.collect_set(F.when(ok, F.col("_content"))).over(Window.partitionBy(group))
    content = content.withColumn("_conflict", F.size(versions) > 1)
    w = Window.partitionBy(group).orderBy(*order)
    ranked = content.withColumns(
        {
            "_rn": F.row_number().over(w),
            "_kept_file": F.first("_source_file").over(w),
            "_kept_line": F.first("_source_line").over(w),
            "_same_raw": F.col("_raw") == F.first("_raw").over(w),
            "_same_values": F.col("_content") == F.first("_content").over(w),
        }
    )
    dup_kind = (
        F.when(F.col("_rn") == 1, F.lit(None))
        .when(F.col("_same_raw"), F.lit("exact"))
        .when(ok & F.col("_same_values"), F.lit("near"))
        .when(ok, F.lit("superseded"))
    )
    fate = (
        F.when(dup_kind.isNotNull(), F.lit(DUPLICATE))
        .when(ok, F.lit(CLEAN))
        .otherwise(F.lit(QUARANTINE))
    )
    return (
        ranked.withColumn("_dup_kind", dup_kind)
        .withColumn("_fate", fate)
        .drop("_rn", "_same_raw", "_same_values", "_content", "_conflict")
    )


def to_quarantine(df: DataFrame, entity: str, run_id: str, ingest_date: str) -> DataFrame:
    """Rows carrying ``_failure`` -> the QUARANTINE contract."""
    record_key = (
        F.coalesce(F.col("_record_key"), raw_key(entity))
        if "_record_key" in df.columns
        else raw_key(entity)
    )
    return df.select(
        F.lit(entity).alias("entity"),
        record_key.alias("record_key"),
        F.col("_raw").alias("raw_record"),
        F.col("_failure.reason_code").alias("reason_code"),
        F.col("_failure.rule").alias("rule"),
        F.col("_source_file").alias("source_file"),
        F.col("_source_line").alias("source_line"),
        F.lit(run_id).alias("run_id"),
        F.lit(ingest_date).cast("date").alias("ingest_date"),
    )


def to_duplicates(df: DataFrame, entity: str, run_id: str, ingest_date: str) -> DataFrame:
    """Rows removed as duplicates -> the dedup log (which row was kept instead)."""
    return df.select(
        F.lit(entity).alias("entity"),
        F.col("_record_key").alias("record_key"),
        F.col("_dup_kind").alias("duplicate_kind"),
        F.col("_raw").alias("raw_record"),
        F.col("_source_file").alias("source_file"),
        F.col("_source_line").alias("source_line"),
        F.col("_kept_file").alias("kept_source_file"),
        F.col("_kept_line").alias("kept_source_line"),
        F.lit(run_id).alias("run_id"),
        F.lit(ingest_date).cast("date").alias("ingest_date"),
    )


@dataclass
class Context:
    """What one run knows: its landing date, run id and the lookups built so far."""

    day: str  # landing date, ISO
    run_id: str
    lookups: dict[str, DataFrame]
    small_batch: bool = False  # spark_jobs.common.sized_for said so
    #: first business day of a bulk history drop (ISO): records from it on are history,
    #: never rejected as too old to be late arrivals
    history_from: str | None = None


@dataclass
class EntityResult:
    """Where every bronze row of one entity went."""

    entity: str
    silver: DataFrame  # SILVER columns + dt + ingest_dt (partition columns)
    quarantine: DataFrame  # QUARANTINE columns
    duplicates: DataFrame  # dedup log


def triage(
    ctx: Context,
    bronze: DataFrame,
    entity: str,
    fields: dict[str, Field],
    checks: list[Column],
    newest_first: str | None = None,
    derive: dict[str, Column] | None = None,
) -> tuple[DataFrame, DataFrame]:
    """(rows with their fate decided, malformed rows); the first is a plan over a
    persisted frame (``mark_fates``).

    ``derive`` adds columns computed once from the parsed ones (e.g. the country code)
    before ``checks`` run, so checks and outputs share one expression.
    """
    good, malformed = split_malformed(bronze)
    typed = parse_fields(good, fields)
    if derive:
        typed = typed.withColumns(derive)
    typed = add_checks(typed, checks)
    marked = mark_fates(
        typed,
        entity,
        F.col(newest_first) if newest_first else None,
        small_batch=ctx.small_batch,
    )
    return marked, malformed


def finish(
    entity: str,
    ctx: Context,
    marked: DataFrame,
    malformed: DataFrame,
    conformed: DataFrame,
    business_date: Column,
) -> EntityResult:
    """Assemble the result: ``conformed`` rows with a ``_failure`` go to quarantine.

    ``conformed`` is persisted: silver and quarantine both read it, and its joins should
    run once.
    """
    conformed = conformed.persist()
    q = [
        to_quarantine(malformed, entity, ctx.run_id, ctx.day),
        to_quarantine(marked.filter(F.col("_fate") == QUARANTINE), entity, ctx.run_id, ctx.day),
        to_quarantine(conformed.filter(F.col("_failure").isNotNull()), entity, ctx.run_id, ctx.day),
    ]
    ok = conformed.filter(F.col("_failure").isNull())
    silver = C.select_silver(
        ok.withColumn("dt", business_date).withColumn("ingest_dt", F.lit(ctx.day).cast("date")),
        entity,
        "dt",
        "ingest_dt",
    )
    return EntityResult(
        entity=entity,
        silver=silver,
        quarantine=C.union_all(q),
        duplicates=to_duplicates(
            marked.filter(F.col("_fate") == DUPLICATE), entity, ctx.run_id, ctx.day
        ),
    )


def clean_rows(marked: DataFrame) -> DataFrame:
    return marked.filter(F.col("_fate") == CLEAN)
