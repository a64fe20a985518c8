"""Task bodies of the retail DAGs: plain functions, testable without Airflow.

Each function handles exactly one business date (the run's data interval), replaces
what it wrote on a rerun and returns a small dict of counts for XCom and the run audit.
Each holds the date's lock (:mod:`retail_kpi.ops.locks`) while it works, so two runs of
the same date never interleave inside a task. Heavy imports happen inside the functions
so the DAG files stay cheap to parse.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from retail_kpi import paths
from retail_kpi.config import REPO_ROOT, Settings, settings
from retail_kpi.ops.locks import date_lock

log = logging.getLogger(__name__)

SPARK_JOBS = REPO_ROOT / "spark_jobs"
#: A BI cache-refresh hook, when the BI engineer provides one: ``refresh_cache(dates)``.
BI_REFRESH_MODULE = REPO_ROOT / "superset" / "refresh.py"


def spark_job(name: str) -> str:
    """Absolute path of a Spark job script, e.g. ``spark_job("clean")``."""
    path = SPARK_JOBS / f"{name}.py"
    return str(path)


def defect_rates(scale: float = 1.0, overrides: dict[str, float] | None = None) -> Any:
    """The generator's defect rates scaled by ``scale``, then with per-kind ``overrides``."""
    from retail_kpi.generate.defects import DefectRates

    rates = DefectRates.scaled(scale) if scale != 1.0 else DefectRates()
    overrides = overrides or {}
    known = {f.name for f in fields(DefectRates)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"Unknown defect kind(s) {', '.join(unknown)}; use any of {', '.join(sorted(known))}."
        )
    rates = replace(rates, **{k: float(v) for k, v in overrides.items()})
    rates.validate()
    return rates


def generate_landing(
    day: dt.date, *, run_id: str, params: dict[str, Any] | None = None, s: Settings | None = None
) -> dict[str, Any]:
    """Generate the raw landing files of ``day`` (replaces the partition on rerun)."""
    from retail_kpi.generate import generate_day

    s = s or settings()
    params = params or {}
    rates = defect_rates(float(params.get("defect_scale", 1.0)), params.get("defect_rates"))
    with date_lock(day, f"{run_id} generate_landing"):
        manifest = generate_day(
            day,
            s.landing_dir,
            seed=int(params.get("seed") or s.seed),
            orders=int(params.get("orders_per_day") or s.orders_per_day),
            customers=int(params.get("customers") or s.customers),
            products=int(params.get("products") or s.products),
            defects=rates,
            opened_on=s.opened_on,
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


def _sum_key(per_entity: dict[str, Any], *keys: str) -> int | None:
    values = [
        int(counts[k])
        for counts in per_entity.values()
        if isinstance(counts, dict)
        for k in keys
        if isinstance(counts.get(k), int)
    ]
    return sum(values) if values else None


def task_summary(task_id: str, day: dt.date, result: Any) -> dict[str, Any]:
    """Rows in/out/quarantined and gate outcome of a finished task, for the run audit."""
    out: dict[str, Any] = {"rows_in": None, "rows_out": None, "rows_quarantined": None}
    if task_id == "generate_landing" and isinstance(result, dict):
        out["rows_out"] = sum(int(v) for v in result.get("counts", {}).values())
    elif task_id == "clean_silver":
        recon = clean_reconciliation(day)
        out["rows_in"] = _sum_key(recon, "rows_in")
        out["rows_out"] = _sum_key(recon, "rows_clean", "rows_silver", "rows_out")
        out["rows_quarantined"] = _sum_key(recon, "rows_quarantined")
    elif task_id == "load_warehouse" and isinstance(result, dict):
        out["rows_out"] = sum(int(v) for v in result.values() if isinstance(v, int))
    if task_id.startswith("validate_") and isinstance(result, dict):
        out["validation_outcome"] = result.get("outcome", "passed")
    return out


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
