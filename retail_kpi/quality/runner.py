"""``run_gate``: validate one layer of one date, record it, build Data Docs, enforce policy.

Order matters: results are written to the audit table and Data Docs *before* the policy
raises, so a failed task always leaves its evidence behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import logging
from collections.abc import Iterable
from typing import Any

from retail_kpi import config, paths
from retail_kpi.config import Settings
from retail_kpi.landing import history_of
from retail_kpi.quality import gx_context
from retail_kpi.quality.audit import write_outcomes
from retail_kpi.quality.batch import Batch, standard_parameters
from retail_kpi.quality.docs import build_pages, record_run
from retail_kpi.quality.frames import read_json
from retail_kpi.quality.outcomes import flatten
from retail_kpi.quality.policy import GateResult, Outcome, QualityGateFailed, failure_message
from retail_kpi.quality.presence import require_data
from retail_kpi.quality.sql_samples import attach_samples
from retail_kpi.quality.suites import SuiteSpec, load_suite, to_gx

log = logging.getLogger(__name__)

#: layer -> module with ``batches(settings, day) -> Iterable[Batch]`` (lazy where big).
LAYERS: dict[str, str] = {
    "landing": "retail_kpi.quality.landing",
    "silver": "retail_kpi.quality.silver",
    "warehouse": "retail_kpi.quality.warehouse",
    "kpi": "retail_kpi.quality.kpi",
}
#: How many unexpected values / row keys GX keeps per expectation.
SAMPLE_SIZE = 20


def _sql_url(url: str) -> str:
    """GX's Postgres datasource wants an SQLAlchemy URL with an explicit driver."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def _source(context: Any, name: str, add: Any) -> Any:
    """The context's data source ``name``, added on first use (one engine per gate run)."""
    try:
        return context.data_sources.get(name)
    except KeyError:
        return add(name)


def _batch_definition(context: Any, spec: SuiteSpec, batch: Batch, s: Settings) -> Any:
    if batch.frame is not None:
        lake = _source(context, "lake", context.data_sources.add_pandas)
        return lake.add_dataframe_asset(name=spec.name).add_batch_definition_whole_dataframe("all")
    url = _sql_url(s.warehouse_url)
    warehouse = _source(
        context,
        "warehouse",
        lambda name: context.data_sources.add_postgres(name, connection_string=url),
    )
    query = str(batch.query)
    if not query.lstrip().lower().startswith("select "):  # GX only accepts SELECT ...
        query = f"select * from ({query}) as batch_rows"
    asset = warehouse.add_query_asset(name=spec.name, query=query)
    return asset.add_batch_definition_whole_table("all")


def _only_needed(frame: Any, spec: SuiteSpec) -> Any:
    """The columns the suite reads, in one consolidated block set: GX copies and filters
    the frame per metric, so unused columns cost time at 1M rows."""
    wanted = spec.columns()
    if wanted is None:
        return frame
    return frame[[c for c in frame.columns if c in wanted]].copy()


def _pandas_options(options: dict[str, Any]) -> Any:
    """``pd.option_context`` over a layer's pandas options (none: a no-op context)."""
    import pandas as pd

    if not options:
        return contextlib.nullcontext()
    return pd.option_context(*itertools.chain.from_iterable(options.items()))


def _as_pandas(value: Any) -> Any:
    """Dates become Timestamps to compare with the datetime64 columns of pandas batches."""
    import pandas as pd

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    return value


def _validate(
    context: Any, batch: Batch, run_id: Any, s: Settings, standard: dict[str, Any]
) -> Any:
    """Run one suite on one batch with the run's ``standard`` suite parameters (and the
    batch's own); returns (validation identifier, GX result, spec)."""
    import great_expectations as gx

    spec = load_suite(batch.suite)
    suite = context.suites.add(to_gx(spec))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name=spec.name, data=_batch_definition(context, spec, batch, s), suite=suite
        )
    )
    result_format: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": SAMPLE_SIZE,
    }
    columns = set(batch.frame.columns) if batch.frame is not None else set(spec.keys)
    keys = [k for k in spec.keys if k in columns]
    if keys:
        result_format["unexpected_index_column_names"] = keys
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{spec.name}_checkpoint",
            validation_definitions=[definition],
            result_format=result_format,
        )
    )
    parameters = {**standard, **batch.parameters}
    batch_parameters = None
    if batch.frame is not None:
        batch_parameters = {"dataframe": _only_needed(batch.frame, spec)}
        parameters = {k: _as_pandas(v) for k, v in parameters.items()}
    with gx_context.index_columns(keys):
        result = checkpoint.run(
            batch_parameters=batch_parameters, expectation_parameters=parameters, run_id=run_id
        )
    ((identifier, suite_result),) = result.run_results.items()
    return identifier, suite_result, spec


def run_gate(
    layer: str, day: dt.date, *, run_id: str, settings: Settings | None = None
) -> GateResult:
    """Validate ``layer`` for ``day``; raise :class:`QualityGateFailed` on a blocking failure.

    A layer with no data at all for ``day`` raises :class:`~retail_kpi.quality.presence.
    NoDataForDate` before Great Expectations runs, and records nothing. Otherwise every
    expectation's outcome is written to ``audit.validation_result`` (replacing
    this run's earlier rows for the same suites) and a Data Docs page is built per suite
    before the policy is applied, so the evidence exists whatever happens next.
    """
    if layer not in LAYERS:
        raise ValueError(f"Unknown layer {layer!r}; choose one of {', '.join(LAYERS)}.")
    s = settings or config.settings()
    require_data(layer, s, day)
    gx_context.quiet_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    validated_at = dt.datetime.now(dt.UTC)
    gx_run_id = RunIdentifier(run_name=run_id, run_time=validated_at)
    module = importlib.import_module(LAYERS[layer])
    context = gx_context.build_context(s)
    outcomes: list[Outcome] = []
    identifiers = []
    # a bulk history date's window, from the clean run's report (None before the clean)
    history = history_of(read_json(paths.reconciliation(s, day)))
    standard = standard_parameters(day, history)
    with _pandas_options(getattr(module, "PANDAS_OPTIONS", {})):
        batches: Iterable[Batch] = module.batches(s, day)
        for batch in batches:
            identifier, suite_result, spec = _validate(context, batch, gx_run_id, s, standard)
            identifiers.append((spec.name, identifier))
            flat = flatten(spec, batch, suite_result, layer=layer, day=day)
            attach_samples(s.warehouse_url, batch, flat, SAMPLE_SIZE)
            outcomes.extend(flat)
            if batch.frame is not None:
                batch.frame = None  # validated: free it before the next batch is read
                gx_context.forget_batches(context)
    pages = build_pages(context, identifiers)
    for o in outcomes:
        o.details["data_docs"] = pages.get(o.suite)
    index = str(gx_context.docs_dir(s) / "index.html")
    result = GateResult(layer, day, run_id, tuple(outcomes), index, pages)
    write_outcomes(s.warehouse_url, run_id, outcomes, validated_at)
    record_run(s, result, validated_at.isoformat(timespec="seconds"))
    _log(result)
    if not result.success:
        raise QualityGateFailed(failure_message(result), result)
    return result


def _log(result: GateResult) -> None:
    for o in result.warnings:
        what = f" on {o.column}" if o.column else ""
        if o.details.get("description"):
            what += f" ({o.details['description']})"
        log.warning("quality warning: %s.%s%s observed %s", o.suite, o.expectation, what,
                    o.observed_value)  # fmt: skip
    failed = len(result.blocking_failures)
    log.info(
        "quality gate %s %s: %d expectations, %d blocking failure(s), %d warning(s); Data Docs %s",
        result.layer,
        result.day.isoformat(),
        len(result.outcomes),
        failed,
        len(result.warnings),
        result.data_docs,
    )
