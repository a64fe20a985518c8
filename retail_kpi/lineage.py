"""Where OpenLineage events go: one setting (``OPENLINEAGE_URL``) for Airflow and Spark.

Airflow's OpenLineage provider emits an event pair (START, then COMPLETE or FAIL) per DAG
run and per task; OpenLineage's Spark listener (the locked jar every Spark task loads)
emits events per Spark application and per action that reads or writes data, each Spark
application naming the Airflow task that submitted it as its parent run.

* ``OPENLINEAGE_URL`` unset: both write JSON lines (one event a line) into
  ``<RETAIL_DATA_DIR>/lineage/``: ``airflow.jsonl`` and ``spark.jsonl``, one file per
  integration; each event is one appended line. Concurrent tasks append to the same
  file, which suits one host and a test; with parallel runs or several hosts, send the
  events to a lineage server instead.
* set: both POST to that URL: a server's base URL (Marquez: ``http://host:5000``, endpoint
  ``/api/v1/lineage``) or a full endpoint URL (DataHub, OpenMetadata).

Nothing here opens a connection: safe at DAG-parse time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from retail_kpi.config import ENV_DEFAULTS

#: Namespace of the jobs both integrations emit (Airflow DAGs and tasks, Spark applications).
NAMESPACE = "retail_kpi"
#: OpenLineage's HTTP endpoint when OPENLINEAGE_URL names only a server (Marquez's).
DEFAULT_ENDPOINT = "api/v1/lineage"
AIRFLOW_EVENTS = "airflow.jsonl"
SPARK_EVENTS = "spark.jsonl"
LOCAL_FILESYSTEM = "fsspec.implementations.local.LocalFileSystem"
SPARK_LISTENER = "io.openlineage.spark.agent.OpenLineageSparkListener"
#: The clean job writes its outputs under ``<lake>/_staging/clean/dt=D/`` and moves them
#: into place once they reconcile (spark_jobs/lake_commit.py): the listener names the
#: live folders instead of the staging ones. (Its default trimmers already drop the
#: trailing ``key=value`` partition folders: ``silver/orders/dt=D`` -> ``silver/orders``.)
STAGING_PATTERN = "(?<remove>/_staging/clean/dt=[^/]+)"


def _setting(name: str, environ: Mapping[str, str] | None) -> str:
    value = (os.environ if environ is None else environ).get(name)
    return value or ENV_DEFAULTS[name][0]


def events_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Folder of the file transport's events (OPENLINEAGE_URL unset), from ``environ``
    (default: this process's environment)."""
    return Path(_setting("RETAIL_DATA_DIR", environ)).resolve() / "lineage"


def _http(url: str) -> tuple[str, str]:
    """(server URL, endpoint) of OPENLINEAGE_URL: a bare server gets Marquez's endpoint."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    return urlunsplit(parts._replace(path="", query="", fragment="")), path or DEFAULT_ENDPOINT


def airflow_transport(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """The provider's ``[openlineage] transport`` (a JSON object) for ``environ``."""
    url = _setting("OPENLINEAGE_URL", environ)
    if url:
        server, endpoint = _http(url)
        return {"type": "http", "url": server, "endpoint": endpoint}
    return {
        "type": "file",
        "log_file_path": str(events_dir(environ) / AIRFLOW_EVENTS),
        "append": True,
        # opened through fsspec, which creates the folder (the default opener does not)
        "filesystem": LOCAL_FILESYSTEM,
        "fs_kwargs": {"auto_mkdir": True},
    }


def disabled(environ: Mapping[str, str] | None = None) -> bool:
    """OPENLINEAGE_DISABLED, read as Airflow's provider reads it (true, 1, t: off)."""
    return _setting("OPENLINEAGE_DISABLED", environ).strip().lower() in ("true", "1", "t")


def spark_conf(app_name: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Spark settings that enable the listener, with the same destination as Airflow;
    none when lineage is off (OPENLINEAGE_DISABLED), so Spark runs without the listener.

    ``app_name`` is the job name the listener uses instead of the Spark application's name
    (which carries the run date): one lineage job per Spark job, not one per date. The
    parent run (the Airflow task) is added when the task runs (retail_kpi.ops.spark).
    """
    if disabled(environ):
        return {}
    conf = {
        "spark.extraListeners": SPARK_LISTENER,
        "spark.openlineage.namespace": NAMESPACE,
        "spark.openlineage.appName": app_name,
        "spark.openlineage.dataset.removePath.pattern": STAGING_PATTERN,
    }
    url = _setting("OPENLINEAGE_URL", environ)
    if url:
        server, endpoint = _http(url)
        conf |= {
            "spark.openlineage.transport.type": "http",
            "spark.openlineage.transport.url": server,
            "spark.openlineage.transport.endpoint": f"/{endpoint}",
        }
    else:
        conf |= {
            "spark.openlineage.transport.type": "file",
            "spark.openlineage.transport.location": str(events_dir(environ) / SPARK_EVENTS),
        }
    return conf
