"""All or nothing for one clean run: its outputs are written aside, then moved into place.

A clean run of landing date D writes everything it produces under
``<lake>/_staging/clean/dt=D/``, laid out as in the live lake:

    bronze/<entity>/dt=D/  quarantine/<entity>/dt=D/  _audit/clean/dt=D/
    silver/<entity>/dt=<business date>/ingest_dt=D/   (one leaf per business date)

Nothing live changes until the counts reconcile. Then :func:`commit` writes the marker
``_COMMIT.json`` (every folder to move) and moves each folder into place (delete the live
one, rename the staged one), and deletes the live silver leaves of D the run no longer
produces. So:

* a run that fails or is killed before the marker leaves the live lake as it was; the next
  run of D removes its staging (:func:`recover`);
* a run killed after the marker, in the middle of the moves, is finished by the next run of
  D before it does anything else: every move is idempotent (a folder already moved is no
  longer staged), so the date ends entirely new.

Runs of one date are serialised by the date lock (``retail_kpi.warehouse.locks``); the staging is
per date, and only the run holding the lock recovers it. Paths go through
:mod:`spark_jobs.lake_io` (fsspec: a rename is atomic on HDFS and local disks; on object
stores it is a copy, which the marker makes restartable).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from retail_kpi import schemas
from spark_jobs import lake_io as io

log = logging.getLogger(__name__)

MARKER = "_COMMIT.json"


def staging_dir(root: str, day: str) -> str:
    return f"{root}/_staging/clean/dt={day}"


def _folders(stage: str, day: str) -> list[str]:
    """Folders of a staged run, relative to the lake root, in the order they are moved."""
    rels = []
    for entity in schemas.ENTITIES:
        rels.append(f"bronze/{entity}/dt={day}")
        for leaf in io.glob(f"{stage}/silver/{entity}/dt=*/ingest_dt={day}"):
            rels.append(_silver_rel(leaf))
        rels.append(f"quarantine/{entity}/dt={day}")
    rels.append(f"_audit/clean/dt={day}")
    return rels


def _silver_rel(leaf: str) -> str:
    """``silver/<entity>/dt=X/ingest_dt=D`` of a leaf's full path or URI."""
    return leaf[leaf.rindex("/silver/") + 1 :]


def _move(staged: str, live: str) -> None:
    if io.exists(staged):  # else moved by an earlier attempt of this commit
        io.move(staged, live)


def _apply(root: str, day: str, manifest: dict[str, Any], step: Callable[[], None]) -> None:
    stage = staging_dir(root, day)
    for rel in manifest["folders"]:
        _move(f"{stage}/{rel}", f"{root}/{rel}")
        step()
    keep = set(manifest["folders"])
    for entity in schemas.ENTITIES:
        for leaf in io.glob(f"{root}/silver/{entity}/dt=*/ingest_dt={day}"):
            if _silver_rel(leaf) not in keep:  # a business date this run no longer has
                io.remove(leaf)
                step()
    io.remove(stage)


def commit(root: str, day: str, step: Callable[[], None] = lambda: None) -> int:
    """Move the staged run of ``day`` into the live lake; returns how many folders moved.

    ``step`` is called after each change to the live lake (the fault tests stop there).
    """
    stage = staging_dir(root, day)
    manifest = {"day": day, "folders": _folders(stage, day)}
    io.write_json(f"{stage}/{MARKER}.tmp", manifest)
    io.move(f"{stage}/{MARKER}.tmp", f"{stage}/{MARKER}")  # the marker appears whole
    step()
    _apply(root, day, manifest, step)
    return len(manifest["folders"])


def recover(root: str, day: str) -> str | None:
    """Finish or discard what an earlier run of ``day`` left in staging.

    Returns "finished" (the marker was there: the moves are completed), "discarded" (no
    marker: the staged outputs are deleted, the live lake is the previous state) or None.
    """
    stage = staging_dir(root, day)
    text = io.read_text(f"{stage}/{MARKER}")
    if text is not None:
        _apply(root, day, json.loads(text), lambda: None)
        log.warning("%s: finished the commit of an earlier clean run that stopped mid-way", day)
        return "finished"
    if io.exists(stage):
        io.remove(stage)
        log.warning("%s: removed the uncommitted outputs of an earlier clean run", day)
        return "discarded"
    return None
