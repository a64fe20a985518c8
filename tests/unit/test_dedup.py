"""Who wins a business key: ``mark_fates`` on hand-made rows, every fate worked out by hand.

The same rows go through the three ways of finding competing rows: one window over every
row (small batches), broadcasting the repeated keys (big batches) and a shuffle join (big
batches with more than MAX_BROADCAST_KEYS repeated keys).
"""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs import dispose
from spark_jobs.common import session_conf

SCHEMA = (
    "product_id string, updated_at timestamp, list_price string, _source_file string, "
    "_source_line int, _raw string, _failure struct<reason_code:string,rule:string>"
)
BAD = ("INVALID_VALUE", "by hand")


def ts(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour)


ROWS = [
    # P1: the newest valid row wins; the invalid row is newer still but sorts after valid
    # ones; the older rows are other versions (superseded)
    ("P1", ts(10, 10), "1", "f1", 2, "P1,a", None),
    ("P1", ts(11, 9), "1", "f1", 5, "P1,b", None),
    ("P1", ts(10, 10), "1", "f1", 7, "P1,a", None),
    ("P1", ts(12), "1", "f1", 8, "P1,c", BAD),
    # P2: both invalid, no updated_at: the earlier file wins, the other is its exact copy
    ("P2", None, "1", "f1", 3, "P2,x", BAD),
    ("P2", None, "1", "f0", 4, "P2,x", BAD),
    # P3 alone
    ("P3", ts(9), "1", "f1", 6, "P3,y", None),
    # no key: never compete, even when byte-identical
    (None, None, "1", "f1", 9, ",z", BAD),
    (None, None, "1", "f1", 12, ",z", BAD),
    # P4: a missing updated_at loses to any present one
    ("P4", None, "1", "f1", 10, "P4,n", None),
    ("P4", ts(1), "1", "f1", 11, "P4,o", None),
    # P5: same values written differently (near): the earliest line is kept
    ("P5", ts(5), "2", "f1", 13, "P5,2.0", None),
    ("P5", ts(5), "2", "f1", 14, "P5,2.00", None),
    # P6: same updated_at, other values (a conflict): the latest file and line wins
    ("P6", ts(5), "9.99", "f1", 15, "P6,9.99", None),
    ("P6", ts(5), "8.99", "f2", 1, "P6,8.99", None),
    ("P6", ts(5), "9.99", "f0", 16, "P6,9.99", None),
    ("P6", ts(5), "8.99", "f1", 17, "P6,8.990", None),
]

# (file, line) -> (record_key, fate, duplicate kind, kept file, kept line)
EXPECTED = {
    ("f1", 2): ("P1", "duplicate", "superseded", "f1", 5),
    ("f1", 5): ("P1", "clean", None, "f1", 5),
    ("f1", 7): ("P1", "duplicate", "superseded", "f1", 5),
    ("f1", 8): ("P1", "quarantine", None, "f1", 5),
    ("f1", 3): ("P2", "duplicate", "exact", "f0", 4),
    ("f0", 4): ("P2", "quarantine", None, "f0", 4),
    ("f1", 6): ("P3", "clean", None, "f1", 6),
    ("f1", 9): (None, "quarantine", None, "f1", 9),
    ("f1", 12): (None, "quarantine", None, "f1", 12),
    ("f1", 10): ("P4", "duplicate", "superseded", "f1", 11),
    ("f1", 11): ("P4", "clean", None, "f1", 11),
    ("f1", 13): ("P5", "clean", None, "f1", 13),
    ("f1", 14): ("P5", "duplicate", "near", "f1", 13),
    ("f2", 1): ("P6", "clean", None, "f2", 1),
    ("f1", 15): ("P6", "duplicate", "superseded", "f2", 1),
    ("f0", 16): ("P6", "duplicate", "superseded", "f2", 1),
    ("f1", 17): ("P6", "duplicate", "near", "f2", 1),
}


PLAN = {"one window": "Window", "broadcast": "BroadcastHashJoin", "shuffle": "SortMergeJoin"}


@pytest.mark.parametrize("how", list(PLAN))
def test_every_row_gets_the_hand_worked_fate(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    shuffle = how == "shuffle"
    if shuffle:
        monkeypatch.setattr(dispose, "MAX_BROADCAST_KEYS", 0)
    conf = {"spark.sql.autoBroadcastJoinThreshold": "-1"} if shuffle else {}
    with session_conf(spark, conf):
        df = spark.createDataFrame(ROWS, SCHEMA)
        marked = dispose.mark_fates(
            df, "products", F.col("updated_at"), small_batch=how == "one window"
        )
        plan = marked._jdf.queryExecution().executedPlan().toString()
        got = {
            (r._source_file, r._source_line): (
                r._record_key,
                r._fate,
                r._dup_kind,
                r._kept_file,
                r._kept_line,
            )
            for r in marked.collect()
        }
    spark.catalog.clearCache()
    assert marked.columns == [
        *df.columns,
        "_record_key",
        "_kept_file",
        "_kept_line",
        "_dup_kind",
        "_fate",
    ]
    assert len(got) == len(ROWS)
    assert got == EXPECTED
    assert PLAN[how] in plan
    assert ("Join" in plan) == (how != "one window")
