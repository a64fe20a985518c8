"""Blocking vs warning: what a failed expectation does to the run.

Every expectation in ``expectations/`` carries ``policy: blocking`` or ``policy: warning``.
A failed blocking expectation fails the gate's Airflow task (so no downstream load or
publish of that date runs); a failed warning is written to the audit table, shown in Data
Docs and logged, and the run goes on. This module holds the outcome model and turns the
blocking failures into one readable sentence for the on-call engineer.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

BLOCKING = "blocking"
WARNING = "warning"
POLICIES = (BLOCKING, WARNING)

#: How many sample values / keys a message quotes (the audit row keeps more).
MESSAGE_SAMPLE = 3


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, flattened for the audit table and the message."""

    suite: str
    expectation: str  # GX type, e.g. expect_column_values_to_be_between
    column: str | None
    policy: str
    success: bool
    observed_value: str  # human readable; see describe_observed()
    unexpected_count: int | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_blocking(self) -> bool:
        return self.policy == BLOCKING


@dataclass(frozen=True)
class GateResult:
    """What :func:`retail_kpi.quality.run_gate` returns when no blocking check failed."""

    layer: str
    day: dt.date
    run_id: str
    outcomes: tuple[Outcome, ...]
    data_docs: str  # path of the Data Docs index page of the site
    pages: dict[str, str] = field(default_factory=dict)  # suite -> validation page path

    @property
    def warnings(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and not o.is_blocking)

    @property
    def blocking_failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.success and o.is_blocking)

    @property
    def success(self) -> bool:
        return not self.blocking_failures

    def summary(self) -> dict[str, Any]:
        """Small, JSON-safe: what the Airflow task returns to XCom."""
        return {
            "layer": self.layer,
            "date": self.day.isoformat(),
            "expectations": len(self.outcomes),
            "blocking_failures": len(self.blocking_failures),
            "warnings": len(self.warnings),
            "data_docs": self.data_docs,
        }


class QualityGateFailed(Exception):
    """A blocking expectation failed: the task must fail and nothing downstream may run."""

    def __init__(self, message: str, result: GateResult) -> None:
        super().__init__(message)
        self.result = result


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_observed(result: dict[str, Any]) -> str:
    """Say what GX saw in words: an aggregate value, or how many rows and which values."""
    if "observed_value" in result:
        return _short(result["observed_value"])
    count = result.get("unexpected_count")
    if count is None:
        return "no observed value"
    total = result.get("element_count")
    sample = [v for v in result.get("partial_unexpected_list") or []][:MESSAGE_SAMPLE]
    text = f"{count} unexpected row{'s' if count != 1 else ''}"
    if total is not None:
        text += f" of {total}"
    if sample:
        text += f", e.g. {_short(sample, 80)}"
    return text


def _keys_hint(outcome: Outcome) -> str:
    rows = outcome.details.get("sample_rows") or []
    if not rows:
        return ""
    shown = "; ".join(
        ", ".join(f"{k}={v}" for k, v in row.items()) for row in rows[:MESSAGE_SAMPLE]
    )
    return f" (first rows: {_short(shown, 160)})"


def failure_message(result: GateResult) -> str:
    """One sentence naming suite, expectation, column, observed value and where to look."""
    failures = result.blocking_failures
    first = failures[0]
    column = f" on column {first.column}" if first.column else ""
    if first.details.get("description"):
        column += f" ({first.details['description']})"
    more = ""
    if len(failures) > 1:
        others = ", ".join(
            f"{o.suite}.{o.expectation}" + (f"({o.column})" if o.column else "")
            for o in failures[1:4]
        )
        extra = len(failures) - 4
        more = f" (and {len(failures) - 1} more blocking failure(s): {others}"
        more += f" +{extra} more)" if extra > 0 else ")"
    page = result.pages.get(first.suite, result.data_docs)
    return (
        f"Quality gate '{result.layer}' failed for {result.day.isoformat()}: suite "
        f"{first.suite}, expectation {first.expectation}{column} observed "
        f"{first.observed_value}{_keys_hint(first)}{more}; see Data Docs {page} and "
        f"audit.validation_result where run_id = '{result.run_id}' for the unexpected rows."
    )
