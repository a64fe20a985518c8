"""Sample rows for failed SQL checks, which GX only counts at the SUMMARY result format.

GX returns the rows of an ``unexpected_rows_expectation`` only at the COMPLETE format,
which would also copy every unexpected value of every other check into the results.
So for the few SQL checks that failed we run the same query again, limited, and keep
the rows (with their keys) in the audit row and the exception message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from retail_kpi.quality.batch import Batch
from retail_kpi.quality.policy import Outcome
from retail_kpi.warehouse.db import connection

UNEXPECTED_ROWS = "unexpected_rows_expectation"
_JOIN = re.compile(r"\bjoin\b", re.IGNORECASE)


def sample_query(check_query: str, batch_query: str, limit: int) -> str:
    """The check's query on the batch, aliased the way GX does it (see the suite files)."""
    batch = f"({batch_query})" if _JOIN.search(check_query) else f"({batch_query}) as subselect"
    return f"select * from ({check_query.replace('{batch}', batch)}) as unexpected limit {limit}"


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def attach_samples(url: str, batch: Batch, outcomes: Sequence[Outcome], limit: int) -> None:
    """Fill ``details['sample_rows']`` of the failed row-query checks of a SQL batch."""
    failed = [o for o in outcomes if not o.success and o.expectation == UNEXPECTED_ROWS]
    if batch.query is None or not failed:
        return
    with connection(url) as conn:
        for o in failed:
            query = o.details.get("kwargs", {}).get("unexpected_rows_query")
            if not query:
                continue
            cur = conn.execute(sample_query(query, batch.query, limit).encode())
            names = [d.name for d in cur.description or ()]
            o.details["sample_rows"] = [
                {n: _jsonable(v) for n, v in zip(names, row, strict=True)} for row in cur
            ]
        conn.rollback()
