"""Reconciliation of the clean step: every input row is clean, quarantined or a duplicate.

Pure Python so the rule is testable without Spark; the job fills the counts from what it
actually wrote (read back from the lake) and fails when an entity does not balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from retail_kpi.landing import history_doc


class ReconciliationError(RuntimeError):
    """Raised when rows_in != rows_clean + rows_quarantined + rows_deduplicated."""


@dataclass(frozen=True)
class EntityCounts:
    entity: str
    rows_in: int  # data lines in the landing files (header excluded)
    rows_bronze: int  # rows written to bronze (must equal rows_in)
    rows_clean: int
    rows_quarantined: int
    rows_deduplicated: int
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        out = self.rows_clean + self.rows_quarantined + self.rows_deduplicated
        return self.rows_in == self.rows_bronze == out

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balanced": self.balanced}


def report(
    counts: list[EntityCounts],
    *,
    run_id: str,
    landing_date: str,
    history: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:
    """The reconciliation document written to ``_audit/clean/dt=<date>/``; for a bulk
    history drop also the business days it held whole (``history``: from, to), which the
    KPI job counts as complete days (:func:`retail_kpi.kpi.windows.complete_days`)."""
    doc: dict[str, Any] = {
        "run_id": run_id,
        "landing_date": landing_date,
        "balanced": all(c.balanced for c in counts),
        "entities": {c.entity: c.as_dict() for c in counts},
    }
    if history is not None:
        doc["history"] = history_doc(history)
    return doc


def check(counts: list[EntityCounts], outputs: str) -> None:
    """Raise one clear sentence naming every entity whose counts do not balance.

    ``outputs``: where the run's uncommitted outputs (and this report) stay for inspection.
    """
    bad = [c for c in counts if not c.balanced]
    if not bad:
        return
    parts = [
        f"{c.entity}: in={c.rows_in} bronze={c.rows_bronze} clean={c.rows_clean} "
        f"quarantined={c.rows_quarantined} deduplicated={c.rows_deduplicated}"
        for c in bad
    ]
    raise ReconciliationError(
        "Clean step does not reconcile, rows were lost or duplicated ("
        + "; ".join(parts)
        + f"); nothing was committed, the lake keeps its previous state. This run's outputs "
        f"and report are kept under {outputs} until the next run of the date: inspect them "
        "before rerunning."
    )
