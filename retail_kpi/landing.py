"""The landing contract: which files of a date count, and when a date is complete.

One function, :func:`select`, decides for the landing gate and the Spark clean job alike
which files of a landing date are data. The callers only list what is there (the gate
with the local file system, the Spark job with Hadoop's) as paths relative to the
landing root with their sizes; the rules live here, so both read the same files.

Layout (docs/DATA.md, "Landing contract")::

    <landing>/<entity>/dt=YYYY-MM-DD/*.csv|*.jsonl                  whole-day files
    <landing>/<entity>/dt=YYYY-MM-DD/interval=HHMM/*.csv|*.jsonl    micro-batch files
    <landing>/_ready/dt=YYYY-MM-DD.json                             the done-marker
    <landing>/_<reserved>/...                                       e.g. _manifest

* every ``.csv`` and ``.jsonl`` file in an entity's date folder counts, formats mixed;
* any other file there blocks the run (named in the error);
* hidden files and folders (``.`` prefix: writes in progress) and Hadoop's ``_SUCCESS``
  marker are ignored, and logged;
* a top-level folder that is neither an entity nor ``_``-reserved is logged as a warning;
* the date is complete once the done-marker exists (written last, atomically, by whoever
  drops the files); when it lists files, the counted files must be exactly those, with
  those sizes;
* a bulk history drop's marker also says which business days it holds whole
  (``"history": {"from": D1, "to": D2}``, D2 at the latest its date): those days count as
  complete, and their records are history, not late arrivals too old to accept.

Pure Python (no Spark, no pandas): the DAG's sensor imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_kpi.schemas import ENTITIES

log = logging.getLogger(__name__)

CSV, JSONL = "csv", "jsonl"
#: File suffix -> format; every other suffix in an entity folder is an error.
FORMATS: dict[str, str] = {".csv": CSV, ".jsonl": JSONL}
READY_FOLDER = "_ready"
#: Files a writer may leave beside data that are never data (Hadoop's job marker).
DONE_FILES = frozenset({"_SUCCESS"})
INTERVAL_PREFIX = "interval="


class LandingError(ValueError):
    """Landing files that break the contract (unknown file, wrong header, marker mismatch)."""


def _dt(day: dt.date | str) -> str:
    return f"dt={day if isinstance(day, str) else day.isoformat()}"


def ready_relpath(day: dt.date | str) -> str:
    """The done-marker's path relative to the landing root: ``_ready/dt=D.json``."""
    return f"{READY_FOLDER}/{_dt(day)}.json"


@dataclass
class Selection:
    """What counts for one landing date, and what is wrong with it."""

    day: str
    #: entity -> [(path relative to the landing root, format)], sorted by path
    files: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unknown_folders: list[str] = field(default_factory=list)
    #: a bulk history drop's window of whole business days (its marker's ``history``)
    history: tuple[dt.date, dt.date] | None = None

    def counted(self) -> list[str]:
        return sorted(p for found in self.files.values() for p, _ in found)

    def counts(self) -> dict[str, int]:
        """Files counted per entity (what the sensor reports)."""
        return {e: len(found) for e, found in self.files.items()}

    def check(self) -> Selection:
        """Raise one LandingError listing every problem; returns self when there is none."""
        if self.problems:
            raise LandingError(
                f"Landing date {self.day} breaks the landing contract (docs/DATA.md): "
                + "; ".join(self.problems)
                + ". Fix or remove those files upstream, then rerun."
            )
        return self


def _classify_in_entity(rel: str, parts: list[str], sel: Selection) -> None:
    """One file under ``<entity>/dt=D/``: counted, ignored or a problem."""
    entity, inner = parts[0], parts[2:]
    name = inner[-1]
    if any(p.startswith(".") for p in inner):
        sel.ignored.append(rel)
        return
    if len(inner) == 1 and name in DONE_FILES:
        sel.ignored.append(rel)
        return
    nested_ok = len(inner) == 1 or (len(inner) == 2 and inner[0].startswith(INTERVAL_PREFIX))
    fmt = FORMATS.get(os.path.splitext(name)[1])
    if not nested_ok or fmt is None or name.startswith("_"):
        sel.problems.append(
            f"unexpected file {rel} (only .csv and .jsonl files, in dt=D/ or its "
            "interval=HHMM/ folders, are landing data)"
        )
        return
    sel.files[entity].append((rel, fmt))


def select(
    found: Mapping[str, int],
    day: dt.date | str,
    *,
    folders: Iterable[str] = (),
    marker: Mapping[str, Any] | None = None,
) -> Selection:
    """Decide which of the ``found`` files (relative path -> bytes) of ``day`` count.

    ``found`` holds the files under ``<landing>/<top>/dt=D/`` of every top-level folder
    (the caller lists them); ``folders`` the top-level folder names, so an unknown one
    is reported even when it has nothing for this date. With a ``marker`` (the parsed
    done-marker) that lists files, the counted files must match it exactly.
    """
    key = _dt(day)
    sel = Selection(day=key[3:], files={e: [] for e in ENTITIES})
    unknown: set[str] = set()
    for top in folders:
        if top not in ENTITIES and not top.startswith(("_", ".")):
            unknown.add(top)
    for rel in sorted(found):
        parts = rel.split("/")
        top = parts[0]
        if top.startswith(("_", ".")):
            continue  # reserved (_manifest, _ready) or hidden: not data
        if top not in ENTITIES:
            unknown.add(top)
            continue
        if len(parts) < 3 or parts[1] != key:
            continue  # another date
        _classify_in_entity(rel, parts, sel)
        sel.sizes[rel] = int(found[rel])
    sel.unknown_folders = sorted(unknown)
    if sel.ignored:
        log.info("landing %s: ignored (hidden or done-marker files): %s", key, sel.ignored)
    if sel.unknown_folders:
        log.warning(
            "landing %s: unknown top-level folder(s) %s are not entities of "
            "retail_kpi/schemas.py nor _-reserved; their files are not read",
            key,
            ", ".join(sel.unknown_folders),
        )
    if marker is not None:
        sel.problems += verify(sel, found, marker)
        try:
            sel.history = history_window(marker, ready_relpath(day))
        except LandingError as exc:
            sel.problems.append(str(exc))
    return sel


def verify(sel: Selection, found: Mapping[str, int], marker: Mapping[str, Any]) -> list[str]:
    """Problems of the counted files against the done-marker's file list (none: [])."""
    listed = marker.get("files") or {}
    if not listed:
        return []
    counted = set(sel.counted())
    problems = []
    missing = sorted(set(listed) - counted)
    extra = sorted(counted - set(listed))
    if missing:
        problems.append(f"files listed in the done-marker are missing: {', '.join(missing)}")
    if extra:
        problems.append(f"files not listed in the done-marker: {', '.join(extra)}")
    wrong = [
        f"{p} ({found[p]} of {int(listed[p])} bytes)"
        for p in sorted(counted & set(listed))
        if int(found[p]) != int(listed[p])
    ]
    if wrong:
        problems.append(f"files whose size differs from the done-marker: {', '.join(wrong)}")
    return problems


# ------------------------------------------------------------------------------------
# The done-marker and the local file system (the gate, the sensor, the generator).
# ------------------------------------------------------------------------------------


def marker_doc(
    day: dt.date | str, files: Mapping[str, int], history: tuple[dt.date, dt.date] | None = None
) -> dict[str, Any]:
    """``{"date": "YYYY-MM-DD", "files": {relative path: bytes}}``, plus, for a bulk history
    drop, ``"history": {"from": first, "to": last}``: the business days it holds whole."""
    doc: dict[str, Any] = {
        "date": _dt(day)[3:],
        "files": {p: int(files[p]) for p in sorted(files)},
    }
    if history is not None:
        doc["history"] = history_doc(history)
    return doc


def history_doc(window: tuple[dt.date, dt.date]) -> dict[str, str]:
    """A history window as the done-marker, the manifest and the reconciliation report
    write it: ``{"from": first, "to": last}``."""
    return {"from": window[0].isoformat(), "to": window[1].isoformat()}


def history_of(doc: Mapping[str, Any] | None) -> tuple[dt.date, dt.date] | None:
    """The ``history`` window (first, last business day) that a checked done-marker or the
    clean run's reconciliation report carries; None for an ordinary date."""
    window = (doc or {}).get("history")
    if not window:
        return None
    return dt.date.fromisoformat(window["from"]), dt.date.fromisoformat(window["to"])


def history_window(marker: Mapping[str, Any] | None, where: str) -> tuple[dt.date, dt.date] | None:
    """The business days a bulk history drop declares whole (its marker's ``history``), or
    None for an ordinary drop. The window must end on or before the landing date."""
    if marker is None or "history" not in marker:
        return None
    window = None
    try:
        window = history_of(marker)
        valid = window is not None and window[0] <= window[1] <= dt.date.fromisoformat(
            marker["date"]
        )
    except (TypeError, KeyError, ValueError):
        valid = False
    if not valid or window is None:
        raise LandingError(
            f"The done-marker {where} has a 'history' that is not "
            '{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} with from <= to <= its date; '
            "rewrite it (docs/DATA.md, Landing contract)."
        )
    return window


def parse_marker(text: str, where: str) -> dict[str, Any]:
    """The done-marker's content; a marker that is not such a JSON object is a LandingError."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("files", {}), dict):
        raise LandingError(
            f"The done-marker {where} is not a JSON object with a 'files' object; "
            "rewrite it (docs/DATA.md, Landing contract)."
        )
    return doc


def read_marker(root: Path, day: dt.date | str) -> dict[str, Any] | None:
    """The parsed done-marker of ``day`` under the landing ``root`` (None: not complete)."""
    path = Path(root) / ready_relpath(day)
    if not path.is_file():
        return None
    return parse_marker(path.read_text(encoding="utf-8"), str(path))


def write_marker(
    root: Path,
    day: dt.date | str,
    files: Mapping[str, int],
    history: tuple[dt.date, dt.date] | None = None,
) -> Path:
    """Write the done-marker atomically (temp file + rename); call it after the files."""
    path = Path(root) / ready_relpath(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    doc = marker_doc(day, files, history)
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def list_local(root: Path, day: dt.date | str) -> tuple[dict[str, int], list[str]]:
    """(relative path -> bytes of every file under ``<root>/*/dt=D/``, top-level folders)."""
    root = Path(root)
    if not root.is_dir():
        return {}, []
    found: dict[str, int] = {}
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    for top in folders:
        base = root / top / _dt(day)
        if not base.is_dir():
            continue
        for f in base.rglob("*"):
            if f.is_file():
                found[f.relative_to(root).as_posix()] = f.stat().st_size
    return found, folders


def select_local(root: Path, day: dt.date | str) -> Selection:
    """:func:`select` over the local landing ``root``, checked against its done-marker."""
    found, folders = list_local(root, day)
    return select(found, day, folders=folders, marker=read_marker(root, day))


def written_files(root: Path, day: dt.date | str) -> dict[str, int]:
    """The counted files of ``day`` with their sizes, for the writer's done-marker."""
    found, _ = list_local(root, day)
    sel = select(found, day).check()
    return {p: sel.sizes[p] for p in sel.counted()}
