"""Task bodies of the retail DAGs: plain functions, testable without Airflow.

Each function handles exactly one business date (the run's data interval), replaces
what it wrote on a rerun and returns a small dict of counts for XCom and the run audit.
Each holds the date's lock (:mod:`retail_kpi.warehouse.locks`) while it works, so two runs of
the same date never interleave inside a task. Heavy imports happen inside the functions
so the DAG files stay cheap to parse.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

from retail_kpi import landing, paths
from retail_kpi.config import REPO_ROOT, Settings, settings
from retail_kpi.warehouse.locks import date_lock

log = logging.getLogger(__name__)

SPARK_JOBS = REPO_ROOT / "spark_jobs"
#: A BI cache-refresh hook, when the BI engineer provides one: ``refresh_cache(dates)``.
BI_REFRESH_MODULE = REPO_ROOT / "superset" / "refresh.py"


def spark_job(name: str) -> str:
    """Absolute path of a Spark job script, e.g. ``spark_job("clean")``."""
    path = SPARK_JOBS / f"{name}.py"
    return str(path)


#: How long after midnight the last micro-batch of a Kafka-fed day may still be planned:
#: one batch interval, so events stamped just before midnight have reached the broker.
KAFKA_CLOSE_GRACE = dt.timedelta(minutes=10)


def landing_ready(day: dt.date, s: Settings | None = None) -> dict[str, Any] | None:
    """None until ``day``'s input is complete; then what arrived.

    Files: complete when the date's done-marker exists (the files counted per entity are
    returned). Raises :class:`~retail_kpi.landing.LandingError` naming the files when the
    landing breaks the contract (an unexpected file, files missing, extra or truncated
    against the marker), so the run stops here instead of ingesting a partial date.
    Kafka: a date with messages and no landing files is complete once a micro-batch
    planned :data:`KAFKA_CLOSE_GRACE` after its end has been ingested
    (:func:`retail_kpi.events.ledger.day_closed`); returns ``{"source": "kafka", ...}``.
    """
    s = s or settings()
    if not paths.landing_ready(s, day).is_file():
        selection = landing.select_local(s.landing_dir, day)
        if not selection.counted() and _kafka_day_closed(day, s):
            log.info("landing %s: no files; Kafka delivered the day", day)
            return {"source": "kafka", "files": {}, "bytes": 0}
        log.info("landing %s: no done-marker %s yet", day, paths.landing_ready(s, day))
        return None
    selection = landing.select_local(s.landing_dir, day).check()
    counted = selection.counted()
    log.info("landing %s: complete, %d files counted", day, len(counted))
    return {
        "source": "files",
        "files": selection.counts(),
        "bytes": sum(selection.sizes[p] for p in counted),
    }


def _kafka_day_closed(day: dt.date, s: Settings) -> bool:
    from retail_kpi.events.ledger import day_closed
    from retail_kpi.warehouse.db import connection

    with connection(s.warehouse_url) as conn:
        return day_closed(conn, day, KAFKA_CLOSE_GRACE)


def validate_landing(day: dt.date, *, run_id: str, source: str = "files") -> dict[str, Any]:
    """The landing gate, or nothing to check on a Kafka-fed date (no files: its messages'
    contract is checked message by message by the clean job, poison quarantined)."""
    if source == "kafka":
        log.info("landing %s: Kafka-fed, no landing files to validate", day)
        return {"layer": "landing", "expectations": 0, "warnings": 0, "outcome": "passed"}
    return validate_layer("landing", day, run_id=run_id)


def validate_layer(layer: str, day: dt.date, *, run_id: str) -> dict[str, Any]:
    """Run the Great Expectations gate of ``layer``; raises when a blocking check fails."""
    from retail_kpi.quality import run_gate

    with date_lock(day, f"{run_id} validate_{layer}"):
        result = run_gate(layer, day, run_id=run_id)
    outcomes = getattr(result, "outcomes", ())
    warnings = len(getattr(result, "warnings", ()))
    return {
        "layer": layer,
        "expectations": len(outcomes),
        "warnings": warnings,
        "outcome": "warned" if warnings else "passed",
    }


def load_warehouse(day: dt.date, *, run_id: str) -> dict[str, int]:
    """Load the silver data and KPIs touched by ``day`` into Postgres, in one transaction.

    The same function as ``python -m retail_kpi load --date``: dimensions, facts, every
    KPI table and the audit row commit together.
    """
    from retail_kpi.load import load_date

    with date_lock(day, f"{run_id} load_warehouse"):
        return dict(load_date(day, run_id=run_id))


def clean_reconciliation(day: dt.date, s: Settings | None = None) -> dict[str, Any]:
    """The clean job's per-entity reconciliation report of ``day`` ({} when absent)."""
    s = s or settings()
    path = paths.reconciliation(s, day)
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        return {}
    entities = data.get("entities", data)
    return entities if isinstance(entities, dict) else {}


def clean_dates(day: dt.date, result: Any) -> list[dt.date]:
    """The landing dates a clean_silver try worked on: those its operator returned
    (``{"dates": [...]}``, a micro-batch may clean two), else the run's date."""
    if isinstance(result, dict) and isinstance(result.get("dates"), list) and result["dates"]:
        return [dt.date.fromisoformat(str(d)) for d in result["dates"]]
    return [day]


def refresh_bi(dates: list[str]) -> dict[str, Any]:
    """Tell the BI layer that ``dates`` changed (Superset cache refresh when available)."""
    if not BI_REFRESH_MODULE.exists():
        log.info("no BI refresh hook at %s; dates published: %s", BI_REFRESH_MODULE, dates)
        return {"refreshed": False, "dates": dates}
    spec = importlib.util.spec_from_file_location("retail_bi_refresh", BI_REFRESH_MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.refresh_cache(dates)
    return {"refreshed": True, "dates": dates, "result": result}


def lake_paths(day: dt.date) -> dict[str, Path]:
    s = settings()
    return {"landing": s.landing_dir, "lake": s.lake_dir}
