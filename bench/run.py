"""Pipeline benchmark: the DAG's stages at 1M and 5M order lines, plus a micro-batch.

    python bench/run.py            # make bench: 1M and 5M order lines + micro-batch
    python bench/run.py --quick    # make bench-quick: 100k order lines + micro-batch
    python bench/run.py --sizes 200000,400000 --no-micro
    python bench/run.py --micro-only   # the Kafka micro-batch alone (1M order lines a day)

For each size: a fresh lake in a temporary folder and a fresh database ``rk_bench_<pid>``
(migrated, dropped at the end); the ``retail_daily`` DAG's tasks run in order, each in
its own process tree, exactly as the DAG runs them (see bench/harness/stages.py); then
the COPY ceiling over the rows the load wrote. Writes ``bench/results/<stamp>.json|.md``
and ``bench/results/latest.json|.md``; bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the repo, first
    sys.path.insert(0, str(ROOT))

from bench.harness import kafka_micro, machine, report, runner, stages  # noqa: E402
from bench.harness.warehouse import bench_db_name, create_database, drop_database  # noqa: E402
from retail_kpi.airflow_env import airflow_env  # noqa: E402
from retail_kpi.warehouse.db import with_database  # noqa: E402
from retail_kpi.warehouse.ensure import ensure_server  # noqa: E402

log = logging.getLogger("bench")
RESULTS = ROOT / "bench" / "results"
FULL_SIZES = (1_000_000, 5_000_000)
QUICK_SIZES = (100_000,)
MICRO_DAILY_LINES = 1_000_000
MICRO_START = dt.time(12, 0)
#: Variables that would point the bench's tasks at the real lake or warehouse.
_ISOLATE = ("RETAIL_LANDING_DIR", "RETAIL_LAKE_DIR", "AIRFLOW_CONN_WAREHOUSE")


def bench_env(tmp: Path, url: str) -> dict[str, str]:
    """The tasks' environment: the project's Airflow defaults, our lake and database."""
    base = {k: v for k, v in os.environ.items() if k not in _ISOLATE}
    base |= {
        "WAREHOUSE_URL": url,
        "RETAIL_DATA_DIR": str(tmp / "data"),
        "AIRFLOW_HOME": str(tmp / "airflow"),
    }
    return airflow_env(base)


def spark_startup(args: argparse.Namespace, env_: dict[str, str], logs: Path) -> dict[str, Any]:
    """Submit the empty application once; seconds to session ready and to first job."""
    from bench.spark_noop import FIRST_JOB, READY

    dag, day = stages.load_dag(), stages.BENCH_DAY
    stage = stages.noop_command(dag, day, "bench-startup", args.spark_conf)
    rec = runner.run_stage(stage, env_, logs)
    marks = {}
    for line in Path(rec["log"]).read_text(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        if key in (READY, FIRST_JOB):
            marks[key] = float(value) - rec["started_at"]
    return {
        "ok": rec["ok"],
        "wall_s": rec["wall_s"],
        "peak_rss_mib": rec["peak_rss_mib"],
        "session_ready_s": marks.get(READY),
        "first_job_s": marks.get(FIRST_JOB),
    }


def fresh(server: str, name: str, data: Path) -> str:
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    return create_database(server, name)


def run_sizes(args: argparse.Namespace, server: str, name: str, env_: dict, doc: dict) -> None:
    day = stages.BENCH_DAY
    demand = stages.demand_factor(day)
    data = Path(env_["RETAIL_DATA_DIR"])
    for lines in args.sizes:
        fresh(server, name, data)
        scale = stages.Scale.for_lines(lines, demand)
        log.info("=== %s order lines: %s", f"{lines:,}", scale)
        run_id = f"bench-{lines}"
        plan = stages.plan(stages.load_dag(), day, run_id, scale.params(), args.spark_conf)
        plan = stages.one_spark_app(plan) if args.one_spark_app else plan
        logs = args.logs / f"{lines}"
        res = runner.run_size(plan, env_, logs, data / "lake", day, args.ceiling_rounds)
        doc["runs"].append({"lines_target": lines, "scale": dataclasses.asdict(scale), **res})
        report.write(doc, args.out, args.stamp)


def run_micro(args: argparse.Namespace, server: str, name: str, env_: dict) -> dict[str, Any]:
    """A 10-minute interval of Kafka events through retail_microbatch (harness/kafka_micro)."""
    day, data = stages.BENCH_DAY, Path(env_["RETAIL_DATA_DIR"])
    url = fresh(server, name, data)
    scale = stages.Scale.for_lines(args.micro_daily_lines, stages.demand_factor(day))
    log.info("=== micro-batch %s + 10 min from Kafka, on a day of %s", MICRO_START, scale)
    return kafka_micro.run({**env_, "WAREHOUSE_URL": url}, day, scale.params(), args.logs / "micro")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="100k order lines only")
    p.add_argument("--sizes", help="comma-separated order-line counts (overrides --quick)")
    p.add_argument("--no-micro", action="store_true", help="skip the micro-batch")
    p.add_argument("--micro-only", action="store_true", help="only the Kafka micro-batch")
    p.add_argument("--micro-daily-lines", type=int, default=MICRO_DAILY_LINES)
    p.add_argument("--ceiling-rounds", type=int, default=2)
    p.add_argument("--out", type=Path, default=RESULTS, help="report folder")
    p.add_argument("--keep", action="store_true", help="keep the temporary lake")
    p.add_argument(
        "--one-spark-app",
        action="store_true",
        help="prototype: clean + KPIs in one Spark application (bench/spark_combined.py)",
    )
    p.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add to the DAG's Spark conf for this run (A/B tests of a setting); repeatable",
    )
    args = p.parse_args(argv)
    if args.sizes:
        args.mode, sizes = "custom", args.sizes.split(",")
    else:
        args.mode, sizes = ("quick", QUICK_SIZES) if args.quick else ("full", FULL_SIZES)
    args.sizes = [int(str(s).replace("_", "")) for s in sizes]
    args.spark_conf = dict(kv.split("=", 1) for kv in args.spark_conf)
    args.stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    args.logs = args.out / f"logs-{args.stamp}"
    return args


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # run the clean-up in main's finally


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _interrupted)
    args = parse_args(argv)
    server, name = ensure_server(), bench_db_name()
    tmp = Path(tempfile.mkdtemp(prefix="rk_bench_"))
    env_ = bench_env(tmp, with_database(server, name))
    os.environ.update(env_)  # the harness builds the DAG and reads the lake with them too
    doc: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": args.mode,
        "machine": machine.describe(server),
        "git": machine.git_state(),
        "day": stages.BENCH_DAY.isoformat(),
        "extra_spark_conf": args.spark_conf,
        "one_spark_app": args.one_spark_app,
        "runs": [],
    }
    try:
        if not args.micro_only:
            doc["spark_startup"] = spark_startup(args, env_, args.logs / "startup")
            run_sizes(args, server, name, env_, doc)
        if not args.no_micro:
            doc["microbatch"] = run_micro(args, server, name, env_)
    finally:
        drop_database(server, name)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        doc["machine"]["load_end"] = machine.load_average()
        doc["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        paths = report.write(doc, args.out, args.stamp)
        print(report.markdown(doc))
        print(f"reports: {paths[0]} {paths[1]} (and latest.*); logs: {args.logs}")
    # Targets are reported, not enforced; a failed stage means something is broken.
    broken = [s for r in doc["runs"] for s in r["stages"] if not s["ok"]]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
