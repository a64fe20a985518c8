"""Flatten a GX suite validation result into :class:`Outcome` rows.

GX may reorder results and substitutes suite parameters into kwargs; each expectation
carries ``meta.index`` (its position in the YAML file) so we map a result back to the
spec that says its policy and why it exists.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from retail_kpi.quality.batch import Batch
from retail_kpi.quality.policy import Outcome, describe_observed
from retail_kpi.quality.suites import SuiteSpec

_SAMPLE_FIELDS = {
    "partial_unexpected_list": "sample_values",
    "partial_unexpected_index_list": "sample_rows",
    "partial_unexpected_counts": "sample_value_counts",
    "unexpected_percent": "unexpected_percent",
    "element_count": "element_count",
    "missing_count": "missing_count",
    "observed_value": "observed_value",
    "details": "gx_details",
}


_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00$")


def _tidy(value: Any) -> Any:
    """Dates travel as midnight timestamps in pandas batches; show them as dates again."""
    if isinstance(value, str):
        match = _MIDNIGHT.match(value)
        return match.group(1) if match else value
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    return value


def _exception_text(info: Any) -> str | None:
    """GX reports a crashed expectation (e.g. a missing column) as exception_info."""
    if not info:
        return None
    infos = info.values() if "raised_exception" not in info else [info]
    for item in infos:
        if isinstance(item, dict) and item.get("raised_exception"):
            message = str(item.get("exception_message") or "unknown error").strip()
            return message.splitlines()[0] if message else "unknown error"
    return None


def flatten(
    spec: SuiteSpec, batch: Batch, suite_result: Any, *, layer: str, day: dt.date
) -> list[Outcome]:
    """One outcome per expectation, in the suite file's order."""
    rows: list[tuple[int, Outcome]] = []
    for res in suite_result.results:
        doc = res.to_json_dict()
        config = doc.get("expectation_config") or {}
        index = int((config.get("meta") or {}).get("index", len(rows)))
        exp = spec.expectations[index]
        result = _tidy(doc.get("result") or {})
        error = _exception_text(doc.get("exception_info"))
        kwargs = _tidy({k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"})
        details: dict[str, Any] = {
            "layer": layer,
            "business_date": day.isoformat(),
            "source": batch.source,
            "policy": exp.policy,
            "why": exp.why,
            "kwargs": kwargs,
        }
        details.update({new: result[old] for old, new in _SAMPLE_FIELDS.items() if old in result})
        if error:
            details["error"] = error
        count = result.get("unexpected_count")
        observed = describe_observed(result)
        if exp.type == "unexpected_rows_expectation" and not error:
            count = int(result.get("observed_value") or 0)
            observed = f"{count} unexpected row{'s' if count != 1 else ''}"
            details["description"] = exp.kwargs.get("description")
        rows.append(
            (
                index,
                Outcome(
                    suite=spec.name,
                    expectation=exp.type,
                    column=exp.column,
                    policy=exp.policy,
                    success=bool(doc.get("success")) and not error,
                    observed_value=f"error: {error}" if error else observed,
                    unexpected_count=int(count) if count is not None else None,
                    details=details,
                ),
            )
        )
    return [o for _, o in sorted(rows, key=lambda pair: pair[0])]
