"""Spark tasks that hold their business date's lock while ``spark-submit`` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from retail_kpi import batch_size, pyfiles
from retail_kpi.config import settings
from retail_kpi.ops.locks import date_lock

JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def sized_conf(conf: dict[str, str] | None, landing_dir: Path, day: str) -> dict[str, str]:
    """``conf`` plus the driver JVM options for ``day``'s volume (small or big batch).

    A ``spark.driver.extraJavaOptions`` already in ``conf`` (set on the task) wins.
    """
    out = dict(conf or {})
    if JAVA_OPTIONS not in out:
        small = batch_size.is_small(batch_size.landing_bytes(landing_dir, day))
        options = batch_size.driver_java_options(small)
        if options:
            out[JAVA_OPTIONS] = options
    return out


class DateLockedSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` that never overlaps another run's task on the same date.

    Unless the task sets ``py_files`` itself, the project's packages are shipped with the
    application as a zip (:mod:`retail_kpi.pyfiles`), so executors on a cluster can import
    them; the zip is rebuilt only when the code changed. The driver then imports
    ``retail_kpi`` from that zip, where defaults relative to the repository would point
    inside the archive, so the task hands the job this worker's resolved landing and lake
    folders (``env_vars`` set on the task win). The driver's JVM options follow the
    date's landing volume (:func:`sized_conf`).
    """

    def execute(self, context: Any) -> Any:
        self.py_files = self.py_files or str(pyfiles.ensure())
        s = settings()
        self.env_vars = {
            "RETAIL_LANDING_DIR": str(s.landing_dir),
            "RETAIL_LAKE_DIR": str(s.lake_dir),
            **(self.env_vars or {}),
        }
        self.conf = sized_conf(self.conf, s.landing_dir, context["ds"])
        with date_lock(context["ds"], f"{context['run_id']} {self.task_id}"):
            return super().execute(context)
