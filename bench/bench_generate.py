"""Benchmark the generator: order lines per second and peak memory at 1M and 5M lines.

Each size runs in a fresh subprocess (so peak RSS is that run's own) and times the
orders + order_items path of ``generate_day`` (draw, render, inject defects, write CSV)
after a warm-up of the per-seed pools. Wall time depends on what else runs on the
machine, so CPU time (user + system of the process, all threads) is reported too.

    python bench/bench_generate.py                # 1M and 5M lines
    python bench/bench_generate.py --lines 200000 # one size
Results: stdout and bench/results/generate.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "generate.json"
DAY = dt.date(2026, 3, 11)  # an ordinary Wednesday: demand factor close to 1
LINES_PER_ORDER = 2.5  # mean of 1 + min(Poisson(1.5), 7)
DEFAULT_SIZES = (1_000_000, 5_000_000)


def measure(lines: int) -> dict:
    """Generate about ``lines`` order lines once; return rates and peak memory."""
    sys.path.insert(0, str(ROOT))
    from simulator import generate_day
    from simulator.market import expected_orders

    demand = float(expected_orders(DAY, 1.0).sum())  # the day's seasonal factor
    orders = int(lines / LINES_PER_ORDER / demand)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        generate_day(DAY, Path(tmp), orders=200, only=("orders",))  # warm-up: pools, tables
        cpu0, wall0 = os.times(), time.perf_counter()
        manifest = generate_day(DAY, Path(tmp), orders=orders, only=("orders", "order_items"))
        wall = time.perf_counter() - wall0
        cpu1 = os.times()
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*.csv"))
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    n_lines, n_orders = manifest["counts"]["order_items"], manifest["counts"]["orders"]
    return {
        "order_lines": n_lines,
        "orders": n_orders,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "lines_per_s_wall": round(n_lines / wall),
        "lines_per_s_cpu": round(n_lines / cpu),
        "rows_per_s_wall": round((n_lines + n_orders) / wall),
        "csv_mb": round(size / 1e6, 1),
        "defects": len(manifest["defects"]),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, help="one size only, in this process")
    args = parser.parse_args()
    if args.lines:
        print(json.dumps(measure(args.lines)))
        return 0
    results = []
    for lines in DEFAULT_SIZES:
        out = subprocess.run(
            [sys.executable, __file__, "--lines", str(lines)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{result['order_lines']:>9,} lines  wall {result['wall_s']:6.2f}s "
            f"({result['lines_per_s_wall']:>9,}/s)  cpu {result['cpu_s']:6.2f}s "
            f"({result['lines_per_s_cpu']:>9,}/s)  peak RSS {result['peak_rss_mb']:,} MB  "
            f"load {result['load_avg_1m']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"day": DAY.isoformat(), "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
