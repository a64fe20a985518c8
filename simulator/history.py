"""A bulk history drop: a range of business days delivered as one landing date.

A source that starts feeding the warehouse sends its past in one go (the "bulk + incremental"
shape of the products we started from). The drop lands on its last business day ``L``:

    <landing>/<entity>/dt=L/<entity>-<D>.<fmt>        one file per entity and day D
    <landing>/_manifest/dt=L/manifest.json            counts summed, every day's defects
    <landing>/_ready/dt=L.json                        files + "history": {"from", "to"}

Each day's content is exactly what ``generate_day`` writes for that day (same seed, same
bytes), so a bulk drop and the same days landed one by one hold the same records. The
done-marker's ``history`` says which business days the drop holds whole: the pipeline
counts them as complete days (growth compares against them) and does not reject their
records as too old to be late arrivals (:mod:`retail_kpi.landing`, docs/DATA.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from retail_kpi.landing import history_doc, write_marker
from retail_kpi.schemas import ENTITIES
from simulator.core import Progress, generate_day
from simulator.writer import replace_folder, write_json


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise ValueError(f"the history ends ({last}) before it starts ({first}).")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def generate_history(
    first: dt.date,
    last: dt.date,
    out_root: Path,
    *,
    progress: Progress | None = None,
    fmt: str = "csv",
    **day_options: Any,
) -> dict:
    """Write ``first``..``last`` as one bulk drop landed on ``last``; returns its manifest.

    ``day_options`` are ``generate_day``'s (seed, volumes, defects, opened_on). The days
    are generated into a hidden folder of ``out_root`` (the landing listing skips it),
    then each entity's folder of ``dt=last`` is replaced whole, and the done-marker is
    written last: a reader sees the previous drop or this one, never a mix.
    """
    days = days_between(first, last)
    out_root = Path(out_root)
    work = out_root / f".history-{uuid.uuid4().hex[:8]}"
    try:
        manifests = []
        for day in days:
            manifests.append(generate_day(day, work, fmt=fmt, **day_options))
            if progress:
                counts = manifests[-1]["counts"]
                progress(f"{day}: {sum(counts.values())} rows")
        files: dict[str, int] = {}
        for entity in ENTITIES:
            folder = work / f".drop-{entity}"
            folder.mkdir()
            for day in days:
                source = work / entity / f"dt={day.isoformat()}" / f"{entity}.{fmt}"
                os.rename(source, folder / f"{entity}-{day.isoformat()}.{fmt}")
            final = out_root / entity / f"dt={last.isoformat()}"
            final.parent.mkdir(parents=True, exist_ok=True)
            replace_folder(folder, final)
            for path in sorted(final.iterdir()):
                files[path.relative_to(out_root).as_posix()] = path.stat().st_size
        manifest = _merged(manifests, first, last)
        write_json(out_root / "_manifest" / f"dt={last.isoformat()}" / "manifest.json", manifest)
        write_marker(out_root, last, files, history=(first, last))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _merged(manifests: list[dict], first: dt.date, last: dt.date) -> dict:
    """One manifest for the drop: the days' counts summed, their defects in day order."""
    counts: dict[str, int] = {}
    for m in manifests:
        for entity, n in m["counts"].items():
            counts[entity] = counts.get(entity, 0) + n
    head = {k: v for k, v in manifests[-1].items() if k not in ("counts", "defects")}
    return {
        **head,
        "date": last.isoformat(),
        "history": history_doc((first, last)),
        "counts": counts,
        "defects": [entry for m in manifests for entry in m["defects"]],
    }
