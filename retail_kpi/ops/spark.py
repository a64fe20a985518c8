"""Spark tasks that hold their business date's lock while ``spark-submit`` runs."""

from __future__ import annotations

from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from retail_kpi.ops.locks import date_lock


class DateLockedSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` that never overlaps another run's task on the same date."""

    def execute(self, context: Any) -> Any:
        with date_lock(context["ds"], f"{context['run_id']} {self.task_id}"):
            return super().execute(context)
