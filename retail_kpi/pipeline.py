"""Task bodies of the retail DAGs: plain functions, testable without Airflow.

Each function handles exactly one business date (the run's data interval), replaces
what it wrote on a rerun and returns a small dict of counts for XCom and the run audit.
Heavy imports happen inside the functions so the DAG file stays cheap to parse.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from retail_kpi.config import REPO_ROOT, Settings, settings

log = logging.getLogger(__name__)

SPARK_JOBS = REPO_ROOT / "spark_jobs"


def spark_job(name: str) -> str:
    """Absolute path of a Spark job script, e.g. ``spark_job("clean")``."""
    path = SPARK_JOBS / f"{name}.py"
    return str(path)


def generate_landing(
    day: dt.date, *, run_id: str, params: dict[str, Any] | None = None, s: Settings | None = None
) -> dict[str, Any]:
    """Generate the raw landing files of ``day`` (replaces the partition on rerun)."""
    from retail_kpi.generate import DefectRates, generate_day

    s = s or settings()
    params = params or {}
    scale = float(params.get("defect_scale", 1.0))
    defects = DefectRates().scaled(scale) if scale != 1.0 else None
    manifest = generate_day(
        day,
        s.landing_dir,
        seed=int(params.get("seed") or s.seed),
        orders=int(params.get("orders_per_day") or s.orders_per_day),
        customers=int(params.get("customers") or s.customers),
        products=int(params.get("products") or s.products),
        defects=defects,
    )
    counts = dict(manifest["counts"])
    log.info(
        "generated %s for %s: %s rows, %d injected defects",
        s.landing_dir,
        day,
        sum(counts.values()),
        len(manifest.get("defects", [])),
    )
    return {"counts": counts, "defects": len(manifest.get("defects", []))}


def validate_layer(layer: str, day: dt.date, *, run_id: str) -> dict[str, Any]:
    """Run the Great Expectations gate of ``layer``; raises when a blocking check fails."""
    from retail_kpi.quality import run_gate

    result = run_gate(layer, day, run_id=run_id)
    return result.summary() if hasattr(result, "summary") else {"layer": layer}


def load_warehouse(day: dt.date, *, run_id: str) -> dict[str, int]:
    """Load the silver data and KPIs touched by ``day`` into Postgres, idempotently."""
    from retail_kpi.load import load_date

    loaded = dict(load_date(day, run_id=run_id))
    try:
        from retail_kpi.kpi.load import load_kpis
    except ImportError:  # KPI loader not installed in this build
        return loaded
    loaded.update(load_kpis(day, run_id=run_id))
    return loaded


def lake_paths(day: dt.date) -> dict[str, Path]:
    s = settings()
    return {"landing": s.landing_dir, "lake": s.lake_dir}
