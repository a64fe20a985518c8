"""Write every expectation's outcome to ``audit.validation_result`` for dashboards.

A rerun of the same gate (same run id, same suites) replaces its rows in one transaction,
so Airflow retries never double-count. ``details`` keeps the GX result: kwargs, policy,
the reason the check exists and a sample of unexpected rows with their keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from psycopg.types.json import Jsonb

from retail_kpi.quality.policy import Outcome
from retail_kpi.warehouse.db import connection

_DELETE = "delete from audit.validation_result where run_id = %s and suite = any(%s)"
_INSERT = """
insert into audit.validation_result (
    run_id, suite, expectation, "column", is_blocking, success,
    observed_value, unexpected_count, details, validated_at
) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def write_outcomes(
    url: str, run_id: str, outcomes: Sequence[Outcome], validated_at: dt.datetime
) -> int:
    """Replace this run's rows for the suites in ``outcomes``; return rows written."""
    suites = sorted({o.suite for o in outcomes})
    rows = [
        (
            run_id,
            o.suite,
            o.expectation,
            o.column,
            o.is_blocking,
            o.success,
            o.observed_value,
            o.unexpected_count,
            Jsonb(o.details),
            validated_at,
        )
        for o in outcomes
    ]
    with connection(url) as conn, conn.transaction():
        conn.execute(_DELETE, (run_id, suites))
        with conn.cursor() as cur:
            cur.executemany(_INSERT, rows)
    return len(rows)
