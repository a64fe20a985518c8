"""The bench harness's arithmetic and reports (figures are made up; nothing is timed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness import report
from bench.harness.stages import Scale


def _stage(task_id: str, wall: float, cpu: float = 1.0, rss: float = 100.0, ok: bool = True):
    return {
        "task_id": task_id,
        "kind": "python",
        "ok": ok,
        "wall_s": wall,
        "body_s": wall - 0.5,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "rows": 10,
        "rows_per_s": 10 / wall,
        "parts": {},
    }


STAGES = [
    _stage("generate_landing", 4.0),
    _stage("clean_silver", 10.0, rss=2048.0),
    _stage("load_warehouse", 6.0),
    _stage("validate_warehouse", 2.0),
]


def _run(lines: int, e2e: float, ok: bool = True, ratio: float | None = 0.8, rss: float = 900.0):
    return {
        "lines_target": lines,
        "order_lines": lines,
        "stages": [_stage("generate_landing", e2e, ok=ok)],
        "e2e_s": e2e,
        "e2e_cpu_s": e2e,
        "kpis_visible_s": e2e,
        "order_lines_per_s": lines / e2e,
        "peak_rss_mib": rss,
        "load": {"ratio": ratio, "rows_per_s": 1.0},
        "ceiling": {"rows_per_s": 1.0},
    }


def test_scale_from_order_lines() -> None:
    # 1M lines / 2.5 lines per order / demand 1.25 = 320,000 orders;
    # customers 0.25 per order = 80,000; products 0.005 per order = 1,600.
    assert Scale.for_lines(1_000_000, 1.25) == Scale(1_000_000, 320_000, 80_000, 1_600)
    # small runs keep the catalogue's 200-product floor
    assert Scale.for_lines(1_000, 1.0).products == 200
    assert Scale.for_lines(1_000, 1.0).params() == {
        "orders_per_day": 400,
        "customers": 100,
        "products": 200,
    }


def test_summarize_run_adds_stage_walls_and_stops_visibility_at_the_load() -> None:
    s = report.summarize_run(STAGES, order_lines=44_000)
    assert s["e2e_s"] == pytest.approx(22.0)
    assert s["e2e_body_s"] == pytest.approx(20.0)
    assert s["e2e_cpu_s"] == pytest.approx(4.0)
    assert s["kpis_visible_s"] == pytest.approx(20.0)  # 4 + 10 + 6, without the last gate
    assert s["order_lines_per_s"] == pytest.approx(2_000.0)
    assert s["peak_rss_mib"] == 2048.0


def test_load_vs_ceiling_ratio_is_ceiling_time_over_load_time() -> None:
    out = report.load_vs_ceiling(load_s=8.0, ceiling_s=6.0, rows=1_200)
    assert out["rows_per_s"] == pytest.approx(150.0)
    assert out["ratio"] == pytest.approx(0.75)
    assert report.load_vs_ceiling(None, 6.0, 1_200)["ratio"] is None


def test_targets_met_and_missed() -> None:
    doc = {
        "runs": [_run(1_000_000, 50.0), _run(5_000_000, 260.0, ratio=0.5, rss=7 * 1024.0)],
        "microbatch": {"ok": True, "kpis_visible_s": 45.0},
    }
    got = {t.name: t.met for t in report.evaluate(doc)}
    assert got == {
        "end to end, 1M order lines": True,
        "end to end, 5M order lines": False,  # 260 > 150
        "time(5M) / time(1M)": False,  # 5.2 > 5
        "peak RSS (process tree, JVM included)": False,  # 7 GiB > 6
        "load / COPY ceiling (worst run)": False,  # 0.5 < 0.67
        "micro-batch: 10-minute interval visible in KPIs": True,
    }


def test_targets_of_a_quick_run_are_not_measured_and_failures_do_not_count() -> None:
    doc = {"runs": [_run(100_000, 5.0)], "microbatch": {"ok": False, "kpis_visible_s": 9.0}}
    got = {t.name: t.met for t in report.evaluate(doc)}
    assert got["end to end, 1M order lines"] is None
    assert got["time(5M) / time(1M)"] is None
    assert got["micro-batch: 10-minute interval visible in KPIs"] is False  # fast, but broken
    failed = {"runs": [_run(1_000_000, 10.0, ok=False)]}
    assert report.evaluate(failed)[0].met is False


def test_markdown_and_files(tmp_path: Path) -> None:
    doc = {
        "started_at": "2026-01-01T00:00:00+00:00",
        "machine": {"cores": 2},
        "runs": [_run(1_000_000, 50.0)],
    }
    json_path, md_path = report.write(doc, tmp_path, "20260101T000000Z")
    assert {p.name for p in tmp_path.iterdir()} == {
        "20260101T000000Z.json",
        "20260101T000000Z.md",
        "latest.json",
        "latest.md",
    }
    assert (tmp_path / "latest.md").read_text() == md_path.read_text()
    saved = json.loads(json_path.read_text())
    assert saved["targets"][0] == {
        "name": "end to end, 1M order lines",
        "goal": "≤ 60 s",
        "actual": "50.0 s",
        "met": True,
    }
    text = md_path.read_text()
    assert "| 1,000,000 | 50.0 | 20,000 |" in text
    assert "| end to end, 1M order lines | ≤ 60 s | 50.0 s | met |" in text
