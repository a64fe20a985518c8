"""Targets, summary figures and the JSON + Markdown reports of a bench run.

Everything here is plain data in, plain data out (no timing, no I/O but the writers),
so it is unit-tested. Targets come from issue 11; they are reported, never asserted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIB_MIB = 1024.0
ONE_M, FIVE_M = 1_000_000, 5_000_000


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    actual: str
    met: bool | None  # None: not measured in this run


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def run_for(doc: dict[str, Any], lines: int) -> dict[str, Any] | None:
    """The run of ``doc`` whose requested size was ``lines`` order lines."""
    return next((r for r in doc.get("runs", []) if r.get("lines_target") == lines), None)


def _ok(run: dict[str, Any] | None) -> bool:
    return bool(run) and all(s.get("ok") for s in run["stages"])  # type: ignore[index]


def _at_most(name: str, goal: float, actual: float | None, unit: str, valid: bool) -> Target:
    met = None if actual is None else (valid and actual <= goal)
    return Target(name, f"≤ {goal:g}{unit}", _fmt(actual, unit), met)


def evaluate(doc: dict[str, Any]) -> list[Target]:
    """Issue 11's targets against what ``doc`` measured (None where not measured)."""
    one, five = run_for(doc, ONE_M), run_for(doc, FIVE_M)
    e1 = one["e2e_s"] if one else None
    e5 = five["e2e_s"] if five else None
    ratio = e5 / e1 if e1 and e5 else None
    runs = doc.get("runs", [])
    peak = max((r["peak_rss_mib"] for r in runs), default=None)
    loads = [r["load"]["ratio"] for r in runs if r.get("load", {}).get("ratio") is not None]
    micro = doc.get("microbatch") or {}
    micro_s = micro.get("kpis_visible_s")
    targets = [
        _at_most("end to end, 1M order lines", 60, e1, " s", _ok(one)),
        _at_most("end to end, 5M order lines", 150, e5, " s", _ok(five)),
        _at_most("time(5M) / time(1M)", 5, ratio, "", _ok(one) and _ok(five)),
        _at_most("peak RSS (process tree, JVM included)", 6, peak and peak / GIB_MIB, " GiB", True),
        Target(
            "load / COPY ceiling (worst run)",
            "≥ 0.67",
            _fmt(min(loads) if loads else None, digits=2),
            None if not loads else min(loads) >= 0.67,
        ),
        _at_most(
            "micro-batch: 10-minute interval visible in KPIs",
            60,
            micro_s,
            " s",
            bool(micro.get("ok")),
        ),
    ]
    return targets


def summarize_run(stages: list[dict[str, Any]], order_lines: int) -> dict[str, Any]:
    """End-to-end figures of one size from its stage measurements.

    Source stages (the generator dropping the landing) are the upstream's work, not the
    pipeline's: reported as ``source_s`` and left out of every end-to-end figure.
    """
    source_s = sum(s["wall_s"] for s in stages if s.get("kind") == "source")
    stages = [s for s in stages if s.get("kind") != "source"]
    e2e = sum(s["wall_s"] for s in stages)
    visible = 0.0
    for s in stages:  # KPIs are in Postgres once the load task has finished
        visible += s["wall_s"]
        if s["task_id"] == "load_warehouse":
            break
    return {
        "e2e_s": e2e,
        "e2e_body_s": sum(s.get("body_s") or s["wall_s"] for s in stages),
        "e2e_cpu_s": sum(s["cpu_s"] for s in stages),
        "kpis_visible_s": visible,
        "order_lines_per_s": order_lines / e2e if e2e else 0.0,
        "peak_rss_mib": max((s["peak_rss_mib"] for s in stages), default=0.0),
        "source_s": source_s,
    }


def load_vs_ceiling(load_s: float | None, ceiling_s: float | None, rows: int) -> dict[str, Any]:
    """The load's fact rows/s against the ceiling's over the same rows."""
    if not load_s or not ceiling_s or not rows:
        return {"rows": rows, "seconds": load_s, "rows_per_s": None, "ratio": None}
    return {
        "rows": rows,
        "seconds": load_s,
        "rows_per_s": rows / load_s,
        "ratio": ceiling_s / load_s,
    }


# ---- Markdown ------------------------------------------------------------------------


def _stage_rows(run: dict[str, Any]) -> list[str]:
    out = [
        "| stage | kind | wall s | body s | CPU s | rows | rows/s | peak RSS MiB | note |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for s in run["stages"]:
        note = "" if s.get("ok") else f"FAILED: {str(s.get('error', ''))[:120]}"
        if s.get("parts"):
            note += " " + ", ".join(f"{k} {v:.1f}s" for k, v in s["parts"].items())
        if len(s.get("peak_by_program") or {}) > 1:
            top = sorted(s["peak_by_program"].items(), key=lambda kv: -kv[1])
            note += " RSS: " + ", ".join(f"{k} {v:,.0f}" for k, v in top)
        note = note.strip()
        out.append(
            f"| {s['task_id']} | {s['kind']} | {_fmt(s['wall_s'])} | {_fmt(s.get('body_s'))} "
            f"| {_fmt(s['cpu_s'])} | {_fmt(s.get('rows'), digits=0)} "
            f"| {_fmt(s.get('rows_per_s'), digits=0)} | {_fmt(s['peak_rss_mib'], digits=0)} "
            f"| {note} |"
        )
    return out


def _summary_rows(doc: dict[str, Any]) -> list[str]:
    out = [
        "| order lines | end to end s | order lines/s | CPU s | KPIs visible s | peak RSS MiB "
        "| load rows/s | COPY ceiling rows/s | load / ceiling |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in doc.get("runs", []):
        load, ceil = r.get("load", {}), r.get("ceiling", {})
        out.append(
            f"| {r['order_lines']:,} | {_fmt(r['e2e_s'])} "
            f"| {_fmt(r['order_lines_per_s'], digits=0)} "
            f"| {_fmt(r['e2e_cpu_s'])} | {_fmt(r['kpis_visible_s'])} "
            f"| {_fmt(r['peak_rss_mib'], digits=0)} | {_fmt(load.get('rows_per_s'), digits=0)} "
            f"| {_fmt(ceil.get('rows_per_s'), digits=0)} | {_fmt(load.get('ratio'), digits=2)} |"
        )
    return out


def _targets_rows(targets: list[Target]) -> list[str]:
    mark = {True: "met", False: "**not met**", None: "not measured"}
    out = ["| target | goal | actual | |", "|---|---|---|---|"]
    out += [f"| {t.name} | {t.goal} | {t.actual} | {mark[t.met]} |" for t in targets]
    return out


def _machine(doc: dict[str, Any]) -> list[str]:
    m = doc.get("machine", {})
    return [
        f"Measured {doc.get('started_at', '?')} on {m.get('cores', '?')} cores "
        f"({m.get('cpu_model', '?')}), {m.get('mem_gib', '?')} GiB RAM, "
        f"load average {m.get('load_start', '?')} at start and {m.get('load_end', '?')} at end; "
        f"PostgreSQL {m.get('postgres', '?')}, Spark {m.get('spark', '?')}; "
        f"commit {doc.get('git', {}).get('commit', '?')}"
        f"{' (uncommitted changes)' if doc.get('git', {}).get('dirty') else ''}.",
    ]


def _extra_conf(doc: dict[str, Any]) -> list[str]:
    out = []
    if conf := doc.get("extra_spark_conf"):
        items = ", ".join(f"`{k}={v}`" for k, v in conf.items())
        out += ["", f"Spark conf added to the DAG's for this run (`--spark-conf`): {items}."]
    if doc.get("one_spark_app"):
        out += ["", "Prototype run (`--one-spark-app`): clean + KPIs in one Spark application."]
    return out


def _startup(doc: dict[str, Any]) -> list[str]:
    st = doc.get("spark_startup") or {}
    if not st:
        return []
    return [
        "",
        "Spark start-up (empty application, submitted like the DAG's Spark tasks): session "
        f"ready after {_fmt(st.get('session_ready_s'))} s, first job done after "
        f"{_fmt(st.get('first_job_s'))} s, whole spark-submit {_fmt(st.get('wall_s'))} s, "
        f"peak RSS {_fmt(st.get('peak_rss_mib'), digits=0)} MiB.",
    ]


def _micro(doc: dict[str, Any]) -> list[str]:
    mb = doc.get("microbatch")
    if not mb:
        return []
    head = (
        f"## Micro-batch from Kafka: one 10-minute interval ({mb.get('interval')}, "
        f"{mb.get('order_lines', 0):,} order lines)"
    )
    rows = ["| task | ended after the interval closed (s) |", "|---|--:|"]
    rows += [f"| {t} | {_fmt(s)} |" for t, s in (mb.get("task_ends_s") or {}).items()]
    return [
        "",
        head,
        "",
        f"Path: {mb.get('path', '')}; the morning's run took {_fmt(mb.get('morning_run_s'))} s.",
        "",
        *rows,
        "",
        f"KPIs visible in Postgres after "
        f"{_fmt(mb.get('kpis_visible_s'))} s. {mb.get('note', '')}".rstrip(),
    ]


def markdown(doc: dict[str, Any]) -> str:
    lines = ["# Pipeline benchmark", "", *_machine(doc), *_extra_conf(doc), "", "## Summary", ""]
    lines += [*_summary_rows(doc), "", "## Targets (issue 11)", ""]
    lines += _targets_rows(evaluate(doc))
    lines += _startup(doc)
    for r in doc.get("runs", []):
        lines += ["", f"## {r['order_lines']:,} order lines", "", *_stage_rows(r)]
    lines += _micro(doc)
    lines += ["", "What each column means: bench/README.md.", ""]
    return "\n".join(lines)


def write(doc: dict[str, Any], folder: Path, stamp: str) -> tuple[Path, Path]:
    """``<stamp>.json``/``.md`` plus ``latest.json``/``latest.md`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {**doc, "targets": [t.__dict__ for t in evaluate(doc)]}
    text_json = json.dumps(doc, indent=1, default=str) + "\n"
    text_md = markdown(doc)
    for name in (stamp, "latest"):
        (folder / f"{name}.json").write_text(text_json)
        (folder / f"{name}.md").write_text(text_md)
    return folder / f"{stamp}.json", folder / f"{stamp}.md"
