"""Landing gate: the raw files of one date have the right shape and the expected volume.

Which files count is the landing contract's decision (:func:`retail_kpi.landing.select`,
the same rule the Spark clean job applies): an unexpected file in an entity folder, or
files that do not match the done-marker, fail the gate before anything is read.

Landing data is dirty on purpose (the generator injects defects the clean step must
quarantine), so only structure and volume block here: the header, a non-empty file and
a line count within 1% of the manifest's count. Values that do not parse as their
type are warnings with a tolerance: a surge of them is worth a look, a few are normal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from retail_kpi import landing as landing_contract
from retail_kpi import paths, schemas
from retail_kpi.config import Settings
from retail_kpi.quality.batch import Batch
from retail_kpi.quality.frames import PARSE_ERROR, read_json, read_landing

#: Data lines may differ from the manifest's count by this share before the gate blocks
#: (every physical line is a row, malformed ones included, so normally they are equal).
ROW_COUNT_TOLERANCE = 0.01
#: pandas options the runner sets while this layer is read and validated: GX's string
#: checks call ``astype(str)``, which keeps the Arrow-backed text of ``frames.TEXT`` only
#: with pandas 3's string inference (otherwise it makes Python objects again: at 1M order
#: lines the regex checks took 8 s that way, 0.8 s this way).
PANDAS_OPTIONS = {"future.infer_string": True}


def manifest_counts(s: Settings, day: dt.date) -> dict[str, int] | None:
    """Rows per entity the generator wrote for ``day`` (daily or summed interval manifests)."""
    daily = paths.manifest(s, day)
    docs: list[dict[str, Any]] = []
    if daily.is_file():
        docs = [read_json(daily) or {}]
    else:
        docs = [read_json(p) or {} for p in sorted(daily.parent.glob("interval=*/manifest.json"))]
    if not docs:
        return None
    totals: dict[str, int] = {}
    for doc in docs:
        for entity, count in (doc.get("counts") or {}).items():
            totals[entity] = totals.get(entity, 0) + int(count)
    return totals


def row_band(expected: int | None) -> tuple[int, int | None]:
    """(min, max) rows accepted; without a manifest only "not empty" can be checked."""
    if expected is None:
        return 1, None
    slack = max(1, round(expected * ROW_COUNT_TOLERANCE))
    return max(0, expected - slack), expected + slack


def batches(s: Settings, day: dt.date) -> Iterator[Batch]:
    """One batch per entity, read when the runner asks for it (one raw file in memory at
    a time: at 5M order lines all of them together need several GiB)."""
    counts = manifest_counts(s, day)
    selection = landing_contract.select_local(s.landing_dir, day).check()
    for entity in schemas.ENTITIES:
        frame, where = read_landing(s, entity, day, selection.files[entity])
        low, high = row_band(None if counts is None else counts.get(entity))
        yield Batch(
            f"landing_{entity}",
            where,
            frame=frame,
            parameters={
                "landing_columns": [*schemas.column_names(entity), PARSE_ERROR],
                "min_rows": low,
                "max_rows": high,
                "manifest": str(paths.manifest(s, day)) if counts else "missing",
            },
        )
        del frame  # the runner drops its reference once validated
