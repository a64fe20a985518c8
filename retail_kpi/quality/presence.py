"""Is there anything to validate? A layer with no data for a date is not a gate failure.

Run on a date the pipeline never produced, a gate used to report a row-count expectation
(observed 0) for every suite and write those outcomes to ``audit.validation_result``: a
record of checks that had nothing to check. :func:`require_data` stops before Great
Expectations instead, with one sentence that says where it looked and what to do.

"No data" means the task that writes the layer left nothing for the date at all. A date
*with* data whose entity is empty (one landing file missing, no returns that day) is the
suites' business: their row-count expectations report it, as before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from retail_kpi import paths, schemas
from retail_kpi.config import Settings

#: What to do before validating each layer. The pipeline never writes its landing: the
#: source drops a date's files with their done-marker, or publishes its Kafka messages,
#: which the micro-batches ingest and the clean job checks (no landing files to validate).
NEXT_STEP = {
    "landing": "land the date's files with their done-marker, or let the micro-batches "
    "ingest its Kafka messages (a Kafka-fed date has no landing files: the clean job "
    "checks each message)",
    "silver": "run the clean task for that date first",
    "kpi": "run the KPI task for that date first",
    "warehouse": "run the load task for that date first",
}


class NoDataForDate(Exception):
    """The layer holds nothing for the date, so its gate has nothing to validate."""

    def __init__(self, layer: str, day: dt.date, where: str) -> None:
        self.layer, self.day, self.where = layer, day, where
        super().__init__(f"no {layer} data for {day.isoformat()} in {where}; {NEXT_STEP[layer]}")


def _has_files(folder: Path, pattern: str = "*") -> bool:
    """A data file under ``folder`` (``_`` and ``.`` files are markers, not data)."""
    return folder.is_dir() and any(
        p.is_file() and not p.name.startswith(("_", ".")) for p in folder.rglob(pattern)
    )


def _landing(s: Settings, day: dt.date) -> str | None:
    manifests = paths.manifest(s, day).parent
    if _has_files(manifests) or any(_has_files(paths.landing(s, e, day)) for e in schemas.ENTITIES):
        return None
    return f"{s.landing_dir}/<entity>/dt={day.isoformat()}"


def _silver(s: Settings, day: dt.date) -> str | None:
    ingest = f"ingest_dt={day.isoformat()}"
    written = any(
        _has_files(d)
        for entity in schemas.SILVER
        for d in paths.lake(s, "silver", entity).glob(f"dt=*/{ingest}")
    )
    if written or paths.reconciliation(s, day).is_file():
        return None
    return f"{s.silver_dir}/<entity>/dt=*/{ingest}"


def _kpi(s: Settings, day: dt.date) -> str | None:
    from retail_kpi.quality.kpi import touched_path

    marker = touched_path(s, day)  # the KPI job writes it for every date it ran on
    return None if marker.is_file() else f"{s.kpi_dir} (no {marker.parent.name}/{marker.name})"


def _warehouse(s: Settings, day: dt.date) -> str | None:
    from retail_kpi.load.loader import TASK
    from retail_kpi.warehouse.db import connection

    with connection(s.warehouse_url) as conn:
        loaded = conn.execute(
            "select 1 from audit.run_audit"
            " where task = %s and run_date = %s and status = 'success' limit 1",
            (TASK, day),
        ).fetchone()
    return None if loaded else "audit.run_audit (no successful load of that date)"


_WHERE_MISSING = {"landing": _landing, "silver": _silver, "kpi": _kpi, "warehouse": _warehouse}


def require_data(layer: str, s: Settings, day: dt.date) -> None:
    """Raise :class:`NoDataForDate` when ``layer`` holds nothing for ``day``."""
    where = _WHERE_MISSING[layer](s, day)
    if where is not None:
        raise NoDataForDate(layer, day, where)
