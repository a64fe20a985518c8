"""Benchmark the clean job: landing rows per second at 1M (and 5M) order lines, 2 cores.

Generates one dirty day (orders, order lines and the reference snapshots they need) with
the project's generator, then runs the real job through ``spark-submit spark_jobs/clean.py``
in a fresh JVM (``local[2]``) and times it end to end: ingest, bronze, clean, silver,
quarantine and reconciliation. Wall time depends on what else runs on the machine, so
the 1-minute load average and the job's CPU seconds (JVM user + system, all threads) are
recorded next to each figure.

    python bench/bench_clean.py                  # 1M order lines
    python bench/bench_clean.py --lines 5000000  # another size
Results: stdout and bench/results/clean.json (one entry per size, replaced on rerun).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "clean.json"
DAY = dt.date(2026, 3, 11)  # an ordinary Wednesday: demand factor close to 1
LINES_PER_ORDER = 2.5  # generator mean: 1 + min(Poisson(1.5), 7)
ENTITIES = ("fx_rates", "products", "customers", "orders", "order_items")


def generate(landing: Path, lines: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from simulator import generate_day
    from simulator.market import expected_orders

    orders = int(lines / LINES_PER_ORDER / float(expected_orders(DAY, 1.0).sum()))
    return generate_day(
        DAY, landing, orders=orders, customers=50_000, products=2_000, only=ENTITIES
    )


def run_clean(landing: Path, lake: Path, driver_memory: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the spark-submit JVM: user + system, all threads)."""
    spark_submit = Path(sys.executable).parent / "spark-submit"
    cmd = [
        str(spark_submit), "--master", "local[2]", "--driver-memory", driver_memory,
        str(ROOT / "spark_jobs" / "clean.py"), "--date", DAY.isoformat(), "--run-id", "bench",
        "--landing", str(landing), "--lake", str(lake),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(lines: int, driver_memory: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-clean-") as tmp:
        landing, lake = Path(tmp) / "landing", Path(tmp) / "lake"
        manifest = generate(landing, lines)
        wall, cpu = run_clean(landing, lake, driver_memory)
        report = json.loads(
            (lake / "_audit/clean" / f"dt={DAY}" / "reconciliation.json").read_text()
        )
        shutil.rmtree(tmp, ignore_errors=True)
    counts = report["entities"]
    rows_in = sum(c["rows_in"] for c in counts.values())
    n_lines = counts["order_items"]["rows_in"]
    return {
        "order_lines": n_lines,
        "orders": counts["orders"]["rows_in"],
        "rows_in_all_entities": rows_in,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "order_lines_per_s": round(n_lines / wall),
        "rows_per_s": round(rows_in / wall),
        "rows_per_cpu_s": round(rows_in / cpu),
        "quarantined": sum(c["rows_quarantined"] for c in counts.values()),
        "deduplicated": sum(c["rows_deduplicated"] for c in counts.values()),
        "defects_injected": len(manifest["defects"]),
        "balanced": report["balanced"],
        "driver_memory": driver_memory,
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to clean")
    parser.add_argument("--driver-memory", default="3g", help="spark-submit --driver-memory")
    args = parser.parse_args()
    result = measure(args.lines, args.driver_memory)
    print(json.dumps(result, indent=1))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text())["results"] if RESULTS.exists() else []
    kept = [r for r in previous if abs(r["order_lines"] - result["order_lines"]) > lines_tol(args)]
    doc = {
        "day": DAY.isoformat(),
        "results": sorted([*kept, result], key=lambda r: r["order_lines"]),
    }
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


def lines_tol(args: argparse.Namespace) -> int:
    """Entries within 20 % of the requested size are the same size (replaced)."""
    return int(args.lines * 0.2)


if __name__ == "__main__":
    sys.exit(main())
