"""One writer per business date at a time.

``retail_daily`` and ``retail_microbatch`` both process "today", a manual rerun can start
while the scheduled run of the same date is still going, and two ``airflow dags test``
invocations may race. Every task takes an exclusive lock on its date before touching the
date's partitions, so each task runs atomically with respect to the other runs; since
every task replaces (never appends to) its date's output, any interleaving of two runs
ends in the state of a single run. The lock is an ``flock`` on a file in the data
folder: the kernel releases it when the holder dies, even on ``kill -9``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retail_kpi.config import settings

log = logging.getLogger(__name__)


def lock_path(day: dt.date | str) -> Path:
    folder = settings().data_dir / "_locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"dt={day}.lock"


@contextmanager
def date_lock(day: dt.date | str, holder: str = "") -> Iterator[float]:
    """Hold the exclusive lock of ``day``; yields the seconds spent waiting for it."""
    path = lock_path(day)
    with path.open("a+") as fh:
        started = time.monotonic()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("date %s is being processed by another run; waiting for %s", day, path)
            fcntl.flock(fh, fcntl.LOCK_EX)
        waited = time.monotonic() - started
        fh.seek(0)
        fh.truncate()
        fh.write(f"{holder}\n")
        fh.flush()
        try:
            yield waited
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
