"""Spark tasks that hold their business date's lock while ``spark-submit`` runs."""

from __future__ import annotations

from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from retail_kpi import pyfiles
from retail_kpi.ops.locks import date_lock


class DateLockedSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` that never overlaps another run's task on the same date.

    Unless the task sets ``py_files`` itself, the project's packages are shipped with the
    application as a zip (:mod:`retail_kpi.pyfiles`), so executors on a cluster can import
    them; the zip is rebuilt only when the code changed.
    """

    def execute(self, context: Any) -> Any:
        self.py_files = self.py_files or str(pyfiles.ensure())
        with date_lock(context["ds"], f"{context['run_id']} {self.task_id}"):
            return super().execute(context)
