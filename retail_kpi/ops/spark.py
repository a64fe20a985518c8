"""Spark tasks that hold their business date's lock while ``spark-submit`` runs."""

from __future__ import annotations

from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from retail_kpi import pyfiles
from retail_kpi.config import settings
from retail_kpi.ops.locks import date_lock


class DateLockedSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` that never overlaps another run's task on the same date.

    Unless the task sets ``py_files`` itself, the project's packages are shipped with the
    application as a zip (:mod:`retail_kpi.pyfiles`), so executors on a cluster can import
    them; the zip is rebuilt only when the code changed. The driver then imports
    ``retail_kpi`` from that zip, where defaults relative to the repository would point
    inside the archive, so the task hands the job this worker's resolved landing and lake
    folders (``env_vars`` set on the task win).
    """

    def execute(self, context: Any) -> Any:
        self.py_files = self.py_files or str(pyfiles.ensure())
        s = settings()
        self.env_vars = {
            "RETAIL_LANDING_DIR": str(s.landing_dir),
            "RETAIL_LAKE_DIR": str(s.lake_dir),
            **(self.env_vars or {}),
        }
        with date_lock(context["ds"], f"{context['run_id']} {self.task_id}"):
            return super().execute(context)
