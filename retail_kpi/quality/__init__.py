"""Great Expectations gates: one per layer, blocking or warning, audited, documented.

The Airflow DAG calls :func:`run_gate` once per layer and date; see docs/QUALITY.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retail_kpi.quality.policy import GateResult, Outcome, QualityGateFailed

if TYPE_CHECKING:
    import datetime as dt

    from retail_kpi.config import Settings

__all__ = ["GateResult", "Outcome", "QualityGateFailed", "run_gate"]


def run_gate(
    layer: str, day: dt.date, *, run_id: str, settings: Settings | None = None
) -> GateResult:
    """See :func:`retail_kpi.quality.runner.run_gate` (imported lazily: GX is slow to load)."""
    from retail_kpi.quality.runner import run_gate as _run_gate

    return _run_gate(layer, day, run_id=run_id, settings=settings)
