"""Benchmark the KPI job: wall time of ``spark-submit spark_jobs/kpis.py`` at 1M order lines.

Writes synthetic silver (customers, products, orders, order lines; vectorised, see
``tests.synthetic``) for ``--days`` business days sharing ``--lines`` order lines,
then runs the real job in a fresh JVM on ``local[2]`` once, recomputing every day
(``--recompute-from`` the first day), and times it end to end (JVM start, planning, all
twelve KPI tables, Parquet + JSON). The 1-minute load average is recorded with the figure
because the machine is shared.

    python bench/bench_kpis.py                       # 1M order lines in one day
    python bench/bench_kpis.py --days 30             # the same lines spread over 30 days
Results: stdout and bench/results/kpis.json (one entry per size and day count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "kpis.json"
LAST_DAY = dt.date(2026, 3, 11)


def write_lake(lake: Path, lines: int, days: int) -> list[dt.date]:
    sys.path.insert(0, str(ROOT))
    from tests.synthetic import write_day

    dates = [LAST_DAY - dt.timedelta(days=days - 1 - i) for i in range(days)]
    per_day = lines // days
    for i, day in enumerate(dates):
        write_day(lake, day, per_day, seed=7 + i)
    return dates


def run_job(lake: Path, first: dt.date, last: dt.date, driver_memory: str) -> float:
    spark_submit = Path(sys.executable).parent / "spark-submit"
    cmd = [
        str(spark_submit), "--master", "local[2]", "--driver-memory", driver_memory,
        str(ROOT / "spark_jobs" / "kpis.py"), "--date", last.isoformat(), "--run-id", "bench",
        "--lake", str(lake), "--recompute-from", first.isoformat(),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    return time.perf_counter() - start


def measure(lines: int, days: int, driver_memory: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-kpis-") as tmp:
        lake = Path(tmp) / "lake"
        dates = write_lake(lake, lines, days)
        load_before = os.getloadavg()[0]
        wall = run_job(lake, dates[0], dates[-1], driver_memory)
        touched = json.loads((lake / "kpi/_touched" / f"dt={dates[-1]}.json").read_text())
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "order_lines": lines // days * days,
        "days": days,
        "wall_s": round(wall, 1),
        "order_lines_per_s": round(lines / wall),
        "kpi_rows": touched["rows"],
        "driver_memory": driver_memory,
        "load_avg_1m_before": round(load_before, 1),
        "load_avg_1m_after": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=1)
    p.add_argument("--driver-memory", default="4g")
    args = p.parse_args()
    result = measure(args.lines, args.days, args.driver_memory)
    print(json.dumps(result, indent=1))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[f"{args.lines}x{args.days}d"] = result
    RESULTS.write_text(json.dumps(previous, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
