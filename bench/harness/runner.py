"""Run the DAG's stages for one size, measure each, and add the COPY ceiling.

Stages run one after the other, each in its own process tree (as Airflow runs tasks),
against the bench's own lake and database. A failed stage is recorded and the next
ones still run (they may fail too): the report says what failed instead of stopping.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from bench.harness import ceiling, report, stages
from bench.harness.sampler import run_measured
from bench.harness.stages import Stage
from bench.harness.task import parse_result

log = logging.getLogger("bench")


def stage_env(base: dict[str, str], stage: Stage) -> dict[str, str]:
    """The bench environment plus what the operator's hook adds (as ``hook.submit`` does)."""
    return {**base, **stage.env}


def _sum_ints(values: Any) -> int:
    return sum(int(v) for v in values if isinstance(v, int) and not isinstance(v, bool))


def _silver_counts(lake: Path, day: dt.date) -> tuple[int, int]:
    """(rows in, rows clean) of the clean job's reconciliation report."""
    path = lake / "_audit" / "clean" / f"dt={day.isoformat()}" / "reconciliation.json"
    if not path.exists():
        return 0, 0
    entities = json.loads(path.read_text()).get("entities", {})
    rows_in = _sum_ints(e.get("rows_in") for e in entities.values())
    return rows_in, _sum_ints(e.get("rows_clean") for e in entities.values())


def _kpi_rows(lake: Path, day: dt.date) -> int:
    path = lake / "kpi" / "_touched" / f"dt={day.isoformat()}.json"
    return _sum_ints(json.loads(path.read_text()).get("rows", {}).values()) if path.exists() else 0


def stage_rows(task_id: str, results: dict[str, Any], lake: Path, day: dt.date) -> int:
    """The rows a stage handled: landing rows, silver rows, KPI rows or loaded rows."""
    generated = (results.get("generate_landing") or {}).get("counts", {})
    loaded = _sum_ints((results.get("load_warehouse") or {}).values())
    rows_in, rows_clean = _silver_counts(lake, day)
    return {
        "generate_landing": _sum_ints(generated.values()),
        "validate_landing": _sum_ints(generated.values()),
        "clean_silver": rows_in,
        "validate_silver": rows_clean,
        "compute_kpis": rows_clean,
        "validate_kpis": _kpi_rows(lake, day),
        "load_warehouse": loaded,
        "validate_warehouse": loaded,
    }.get(task_id, 0)


def run_stage(stage: Stage, env: dict[str, str], logs: Path) -> dict[str, Any]:
    """Run one stage; returns its measurement record (``rows`` is filled in later)."""
    logfile = logs / f"{stage.task_id}.log"
    stage = stages.sized(stage, Path(env["RETAIL_DATA_DIR"]) / "landing")
    log.info("stage %s ...", stage.task_id)
    m = run_measured(stage.cmd, stage_env(env, stage), logfile)
    rec: dict[str, Any] = {
        "task_id": stage.task_id,
        "kind": stage.kind,
        "ok": m.returncode == 0,
        "wall_s": m.wall_s,
        "cpu_s": m.cpu_s,
        "peak_rss_mib": m.peak_rss_mib,
        "peak_by_program": m.peak_by_program,
        "started_at": m.started_at,
        "log": str(logfile),
    }
    if stage.kind == "python":
        doc = parse_result(logfile.read_text(errors="replace")) or {}
        rec.update(
            body_s=doc.get("body_s"),
            result=doc.get("result"),
            parts=doc.get("parts") or {},
            detail=doc.get("log") or [],
        )
        if not rec["ok"]:
            rec["error"] = doc.get("error") or _tail(logfile)
    elif not rec["ok"]:
        rec["error"] = _tail(logfile)
    log.info(
        "stage %s %s in %.1fs (cpu %.1fs, peak %.0f MiB)",
        stage.task_id,
        "ok" if rec["ok"] else "FAILED",
        m.wall_s,
        m.cpu_s,
        m.peak_rss_mib,
    )
    return rec


def _tail(path: Path, lines: int = 3) -> str:
    text = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    return " | ".join(text[-lines:])[-600:]


def fill_rows(stages: list[dict[str, Any]], lake: Path, day: dt.date) -> None:
    results = {s["task_id"]: s.get("result") for s in stages}
    for s in stages:
        s["rows"] = stage_rows(s["task_id"], results, lake, day)
        s["rows_per_s"] = s["rows"] / s["wall_s"] if s["wall_s"] else None


def run_size(
    stages: list[Stage],
    env: dict[str, str],
    logs: Path,
    lake: Path,
    day: dt.date,
    ceiling_rounds: int,
) -> dict[str, Any]:
    """All stages of one size, then the COPY ceiling over the rows the load wrote."""
    records = [run_stage(stage, env, logs) for stage in stages]
    fill_rows(records, lake, day)
    gen = next((s for s in records if s["task_id"] == "generate_landing"), {})
    order_lines = int(((gen.get("result") or {}).get("counts") or {}).get("order_items", 0))
    out: dict[str, Any] = {"order_lines": order_lines, "stages": records}
    out.update(report.summarize_run(records, order_lines))
    load = next((s for s in records if s["task_id"] == "load_warehouse"), None)
    if load and load["ok"]:
        log.info("COPY ceiling (%d rounds) ...", ceiling_rounds)
        c = ceiling.measure(env["WAREHOUSE_URL"], lake.parent / "ceiling", ceiling_rounds)
        out["ceiling"] = {"rows": c.rows, "seconds": c.seconds, "rows_per_s": c.rows_per_s}
        load_s = (load.get("parts") or {}).get("load_date")
        out["load"] = report.load_vs_ceiling(load_s, c.seconds, c.rows)
        log.info("ceiling %.0f rows/s; load ratio %s", c.rows_per_s, out["load"]["ratio"])
    return out
