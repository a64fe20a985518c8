"""Bodies of the micro-batch DAG's Kafka tasks: plain functions, testable without Airflow.

``plan_batch`` fixes the next batch's offset ranges in the ledger; the Spark job
``spark_jobs/kafka_ingest.py`` puts those messages in the lake; ``record_batch`` marks the
batch ingested with the job's counts and returns the ingest dates it touched, which the
rest of the run cleans, checks, aggregates and loads.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from retail_kpi.config import settings
from retail_kpi.events import ledger, topics

log = logging.getLogger(__name__)


def bootstrap_servers() -> str:
    from retail_kpi.services import kafka

    return kafka.bootstrap_servers()


def plan_batch(run_id: str, bootstrap: str | None = None) -> dict[str, Any]:
    """Plan (or find again) this run's batch; returns it as a dict for XCom."""
    from retail_kpi.warehouse.db import connection

    bootstrap = bootstrap or bootstrap_servers()
    marks = ledger.watermarks(bootstrap, topics.topics().values())
    with connection(settings().warehouse_url) as conn:
        batch = ledger.plan(conn, run_id, marks)
    return batch.to_dict()


def summary_path(batch_id: int) -> Any:
    return settings().lake_dir / "raw" / "kafka" / f"batch={batch_id}" / "_batch.json"


def record_batch(batch_doc: dict[str, Any], run_id: str) -> list[str]:
    """Mark the batch ingested from the ingest job's summary; returns its ingest dates."""
    from retail_kpi.warehouse.db import connection

    batch = ledger.Batch.from_dict(batch_doc)
    path = summary_path(batch.batch_id)
    if not path.exists():
        raise FileNotFoundError(
            f"batch {batch.batch_id} has no {path}: the ingest task did not finish; clear it."
        )
    summary = json.loads(path.read_text())
    with connection(settings().warehouse_url) as conn:
        dates = ledger.record_ingested(conn, batch, run_id, summary)
    log.info("batch %d ingested: %d messages, dates %s", batch.batch_id, batch.messages, dates)
    return dates
