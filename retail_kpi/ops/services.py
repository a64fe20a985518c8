"""``python -m retail_kpi.ops.services status|stop`` (`make services`): what runs, in one place.

``status`` prints one line per service the project can start (PostgreSQL, Kafka, the Spark
Connect server, the Spark standalone cluster, Airflow, Superset): address, PID, health and
resident memory, or "external" when configuration points at someone else's server.
``stop`` stops every one the project started, each by its recorded PID; external services
are never touched.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from retail_kpi import config
from retail_kpi.services import process
from retail_kpi.services.process import ServiceStatus

SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or config.REPO_ROOT / ".superset")
SUPERSET_PY = config.REPO_ROOT / ".venv-superset" / "bin" / "python"


def _postgres() -> ServiceStatus:
    from retail_kpi.services import postgres

    if not config.managed_warehouse():
        from retail_kpi.warehouse.db import redact
        from retail_kpi.warehouse.ensure import reachable

        url = config.env("WAREHOUSE_URL")
        return ServiceStatus("postgresql", redact(url), None, reachable(url), managed=False)
    return postgres.status()


def _kafka() -> ServiceStatus:
    from retail_kpi.services import kafka

    return kafka.status()


def _spark_connect() -> ServiceStatus:
    from retail_kpi.services import spark_connect

    return spark_connect.status()


def _spark_cluster() -> ServiceStatus:
    from retail_kpi import spark_cluster

    cluster = spark_cluster.load()
    if cluster is None:
        return ServiceStatus("spark-cluster", "-", None, False, "make spark-cluster-up")
    pid = cluster.master_pid if process.is_ours(cluster.master_pid, "spark") else None
    healthy = pid is not None and spark_cluster.master_state(cluster.master_ui) is not None
    rss = sum(process.rss_bytes(p) or 0 for p in (cluster.master_pid, cluster.worker_pid))
    return ServiceStatus(
        "spark-cluster", cluster.master_url, pid, healthy, f"UI {cluster.master_ui}", rss or None
    )


def _airflow() -> ServiceStatus:
    from retail_kpi.airflow_env import airflow_env
    from retail_kpi.ops import airflow_ctl

    env = airflow_env()  # AIRFLOW_HOME and the API address, as `make airflow` uses them
    pids = airflow_ctl.running(env)
    healthy = len(pids) == len(airflow_ctl.SERVICES) and airflow_ctl.healthy(env)
    detail = f"{len(pids)}/{len(airflow_ctl.SERVICES)} services" if pids else "make airflow"
    rss = sum(process.rss_bytes(p) or 0 for p in pids.values())
    first = pids.get("api-server") or next(iter(pids.values()), None)
    return ServiceStatus(
        "airflow", env["AIRFLOW__API__BASE_URL"], first, healthy, detail, rss or None
    )


def _superset() -> ServiceStatus:
    pid_file = SUPERSET_HOME / "superset.pid"
    pid = process.read_pid(pid_file, "gunicorn")
    port = int(pid_file.read_text().split()[1]) if pid else 8088
    healthy = pid is not None and process.port_open("127.0.0.1", port)
    detail = f"home {SUPERSET_HOME}" if pid else "make superset"
    return ServiceStatus(
        "superset", f"http://127.0.0.1:{port}", pid, healthy, detail,
        process.rss_bytes(pid) if pid else None,
    )  # fmt: skip


PROBES: list[tuple[str, Callable[[], ServiceStatus]]] = [
    ("postgresql", _postgres),
    ("kafka", _kafka),
    ("spark-connect", _spark_connect),
    ("spark-cluster", _spark_cluster),
    ("airflow", _airflow),
    ("superset", _superset),
]


def collect() -> list[ServiceStatus]:
    out = []
    for name, probe in PROBES:
        try:
            out.append(probe())
        except Exception as exc:  # one broken probe must not hide the others
            out.append(ServiceStatus(name, "-", None, False, f"status failed: {exc}"))
    return out


def print_status(rows: list[ServiceStatus]) -> None:
    header = f"{'service':<14} {'state':<24} {'address':<34} {'pid':>7} {'memory':>9}  detail"
    print(header)
    for r in rows:
        pid = str(r.pid) if r.pid else "-"
        print(
            f"{r.name:<14} {r.state:<24} {r.address:<34} {pid:>7} "
            f"{process.human_bytes(r.rss_bytes):>9}  {r.detail}"
        )


def stop_all() -> int:
    """Stop every service the project started (reverse start order)."""
    rc = 0
    if _superset().pid and SUPERSET_PY.exists():
        rc |= subprocess.run(
            [str(SUPERSET_PY), "superset/manage.py", "stop"], cwd=config.REPO_ROOT
        ).returncode
    if _airflow().pid:
        rc |= subprocess.run(
            [sys.executable, "-m", "retail_kpi.ops.airflow_ctl", "stop"]
        ).returncode
    if _spark_cluster().pid:
        rc |= subprocess.run([sys.executable, "-m", "retail_kpi.spark_cluster", "down"]).returncode
    from retail_kpi.services import kafka, spark_connect

    if spark_connect.stop():
        print("spark-connect: stopped")
    if kafka.stop():
        print("kafka: stopped")
    from retail_kpi.services import postgres

    if postgres.stop():
        print("postgresql: stopped")
    return rc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi.ops.services", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=("status", "stop"), nargs="?", default="status")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.action == "stop":
        return stop_all()
    print_status(collect())
    return 0


if __name__ == "__main__":
    sys.exit(main())
