"""Spark tasks that hold their business date's lock while ``spark-submit`` runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from retail_kpi import batch_size, pyfiles
from retail_kpi.config import env, settings
from retail_kpi.warehouse.locks import date_lock

JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def sized_conf(
    conf: dict[str, str] | None, landing_dir: Path, day: str, lake_dir: Path | None = None
) -> dict[str, str]:
    """``conf`` plus the driver JVM options for ``day``'s volume (small or big batch):
    its landing files, and its Kafka messages in ``lake_dir`` when given.

    A ``spark.driver.extraJavaOptions`` already in ``conf`` (set on the task) wins.
    """
    out = dict(conf or {})
    if JAVA_OPTIONS not in out:
        small = batch_size.is_small(batch_size.input_bytes(landing_dir, lake_dir, day))
        options = batch_size.driver_java_options(small)
        if options:
            out[JAVA_OPTIONS] = options
    return out


def kafka_bootstrap() -> str:
    """The brokers this worker uses (KAFKA_BOOTSTRAP_SERVERS, else the project's broker)."""
    from retail_kpi.services import kafka

    return kafka.bootstrap_servers()


class RetailSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` that ships this checkout's code and lake folders to the job.

    Unless the task sets ``py_files`` itself, the project's packages are shipped with the
    application as a zip (:mod:`retail_kpi.pyfiles`), so executors on a cluster can import
    them; the zip is rebuilt only when the code changed. The driver then imports
    ``retail_kpi`` from that zip, where defaults relative to the repository would point
    inside the archive, so the task hands the job this worker's resolved landing and lake
    folders and Kafka settings (``env_vars`` set on the task win).

    Through ``spark-submit``, the application gets the task's OpenLineage run as its parent
    (``spark.openlineage.parent*`` and ``rootParent*``: the provider's own injection, on by
    default here); as a Spark Connect client it cannot (docs/DEPLOY.md, "Lineage").
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("openlineage_inject_parent_job_info", True)
        super().__init__(**kwargs)

    def _prepare(self) -> None:
        self.py_files = self.py_files or str(pyfiles.ensure())
        s = settings()
        self.env_vars = {
            "RETAIL_LANDING_DIR": str(s.landing_dir),
            "RETAIL_LAKE_DIR": str(s.lake_dir),
            # a driver on a cluster reads the same topics as this worker
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
            "RETAIL_KAFKA_TOPIC_PREFIX": env("RETAIL_KAFKA_TOPIC_PREFIX"),
            **(self.env_vars or {}),
        }

    def execute(self, context: Any) -> Any:
        self._prepare()
        return self._submit(context)

    def _submit(self, context: Any) -> Any:
        """Run the job: as a client of the Spark Connect server when the task's connection
        is a ``spark_connect`` one, else through ``spark-submit``."""
        remote = connect_url(self._conn_id)
        if remote is None:
            return SparkSubmitOperator.execute(self, context)
        self._client = ConnectClient(self.application, self.application_args or [], remote)
        self._client.run(self.env_vars or {}, self.log.info)
        return None

    def on_kill(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.kill()
        else:
            super().on_kill()


def connect_url(conn_id: str) -> str | None:
    """The Spark Connect URL of an Airflow connection of type ``spark_connect``, else None."""
    from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook
    from airflow.sdk import BaseHook

    if BaseHook.get_connection(conn_id).conn_type != SparkConnectHook.conn_type:
        return None
    return SparkConnectHook(conn_id).get_connection_url()


class ConnectClient:
    """A job run as a Spark Connect client: ``python <application> <args> --remote <url>``
    in a child process (in the task's process group, as spark-submit is), its output in the
    task's log. Killing the task terminates it, and it interrupts its server-side work."""

    def __init__(self, application: str, args: list[str], remote: str) -> None:
        self.command = [sys.executable, application, *map(str, args), "--remote", remote]
        self.process: subprocess.Popen[str] | None = None

    def run(self, env_vars: dict[str, str], emit: Callable[..., Any]) -> None:
        env = {**os.environ, **env_vars}
        env.pop("PYSPARK_GATEWAY_PORT", None)  # a client, never spark-submit's child
        emit("Spark Connect client: %s", " ".join(self.command))
        self.process = subprocess.Popen(
            self.command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        last = ""
        for line in self.process.stdout:
            emit("%s", line.rstrip())
            last = line.strip() or last
        if self.process.wait() != 0:
            raise RuntimeError(
                f"{Path(self.command[1]).name} exited with {self.process.returncode}: {last}"
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()


class DateLockedSparkSubmitOperator(RetailSparkSubmitOperator):
    """A Spark task that never overlaps another run's task on the same dates.

    ``dates`` (templated; default: the run's ``ds``) is one date or a comma-separated list
    (a Kafka micro-batch touches one or two); the task holds every date's lock, taken in
    date order so two tasks never wait on each other. The driver's JVM options follow the
    biggest date's landing volume (:func:`sized_conf`). Returns ``{"dates": [...]}``.
    """

    template_fields = (*RetailSparkSubmitOperator.template_fields, "dates")

    def __init__(self, *, dates: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dates = dates

    def execute(self, context: Any) -> Any:
        self._prepare()
        text = context["ds"] if self.dates is None else str(self.dates)
        days = sorted({d.strip() for d in text.split(",") if d.strip()})
        if not days:
            raise ValueError(f"{self.task_id}: no business date to process (dates={self.dates!r})")
        s = settings()
        biggest = max(days, key=lambda d: batch_size.input_bytes(s.landing_dir, s.lake_dir, d))
        self.conf = sized_conf(self.conf, s.landing_dir, biggest, s.lake_dir)
        with ExitStack() as stack:
            for day in days:
                stack.enter_context(date_lock(day, f"{context['run_id']} {self.task_id}"))
            self._submit(context)
        return {"dates": days}  # the run audit reads each date's report (ops.audit.task_summary)
