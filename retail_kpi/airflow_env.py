"""Environment for running Airflow against this project, with overridable defaults.

``make demo``, ``make airflow`` and the tests all start Airflow through this module so
that the DAG folder, the SQLite metadata DB and the connections mean the same thing
everywhere. Any variable already set in the environment wins.

    eval "$(python -m retail_kpi.airflow_env)"     # export the defaults into a shell
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from retail_kpi import lineage
from retail_kpi.config import REPO_ROOT, env

#: Airflow connection ids the DAGs use. Change the connection, not the DAG, to move
#: Spark to a cluster or the warehouse to another server.
SPARK_CONN_ID = "spark"
WAREHOUSE_CONN_ID = "warehouse"
#: Where ``make airflow`` serves the UI and API (also used to build alert log links).
API_HOST = "127.0.0.1"
API_PORT = 8080

#: Sized for a 2-core machine: at most 4 task processes, 2 per DAG run, one parser
#: process and one API worker. Spark applications are further limited by the 1-slot
#: pool ``spark`` (retail_kpi.ops.dag_tasks).
SMALL_MACHINE = {
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__SCHEDULER__MAX_TIS_PER_QUERY": "16",
}


#: Set for runs through ``airflow dags test`` / ``dag.test()``: manual runs, which the
#: deadline alert never alerts on; and in Airflow 3.3.2 ``dags test`` of a DAG with a
#: deadline crashes after a *successful* run (apache/airflow#73428), so the DAGs are parsed
#: without it (retail_kpi.ops.deadlines). Drop this once Airflow fixes the bug.
DAGS_TEST_ENV = {"RETAIL_FRESH_BY": "off"}


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def airflow_env(base: dict[str, str] | None = None, *, dags_test: bool = False) -> dict[str, str]:
    """Return ``base`` (default: os.environ) plus the project's Airflow defaults.

    ``dags_test``: for ``airflow dags test`` runs (:data:`DAGS_TEST_ENV` wins over ``base``).
    """
    out = dict(os.environ if base is None else base)
    if dags_test:
        out.update(DAGS_TEST_ENV)
    airflow_home = out.get("AIRFLOW_HOME") or str(REPO_ROOT / ".airflow")
    defaults = {
        "AIRFLOW_HOME": airflow_home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # SQLite metadata by default (fine for `dags test` and a laptop); use Postgres
        # for a real scheduler: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://...
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        f"AIRFLOW_CONN_{SPARK_CONN_ID.upper()}": json.dumps(
            {"conn_type": "spark", "host": env("SPARK_MASTER")}
        ),
        "WAREHOUSE_URL": env("WAREHOUSE_URL"),
        # spark-submit must be the venv's, and the driver must import retail_kpi.
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        # OpenLineage: Airflow's events go where the Spark jobs' go (retail_kpi.lineage).
        "AIRFLOW__OPENLINEAGE__NAMESPACE": lineage.NAMESPACE,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(lineage.airflow_transport(out)),
        "AIRFLOW__API__HOST": API_HOST,
        "AIRFLOW__API__PORT": str(API_PORT),
        **SMALL_MACHINE,
    }
    for key, value in defaults.items():
        out.setdefault(key, value)
    out.setdefault(
        "AIRFLOW__API__BASE_URL",
        f"http://{out['AIRFLOW__API__HOST']}:{out['AIRFLOW__API__PORT']}",
    )
    out.setdefault(
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}",
        out["WAREHOUSE_URL"].replace("postgresql+psycopg://", "postgresql://"),
    )
    path = out.get("PATH", "")
    if str(_venv_bin()) not in path.split(os.pathsep):
        out["PATH"] = os.pathsep.join([str(_venv_bin()), path]) if path else str(_venv_bin())
    pythonpath = out.get("PYTHONPATH", "")
    if str(REPO_ROOT) not in pythonpath.split(os.pathsep):
        out["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), pythonpath) if p)
    return out


def main() -> int:
    """Print ``export`` lines for the variables this module adds or defaults."""
    current = dict(os.environ)
    for key, value in sorted(airflow_env().items()):
        if current.get(key) != value:
            print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
