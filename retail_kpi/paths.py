"""Partition paths of every layer, so no module builds them by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from retail_kpi.config import Settings
from retail_kpi.landing import ready_relpath


def _dt(day: dt.date | str) -> str:
    return f"dt={day if isinstance(day, str) else day.isoformat()}"


def landing(s: Settings, entity: str, day: dt.date | str) -> Path:
    """Raw files of one entity and business date."""
    return s.landing_dir / entity / _dt(day)


def manifest(s: Settings, day: dt.date | str) -> Path:
    """The generator's manifest (counts and injected defects) of one date."""
    return s.landing_dir / "_manifest" / _dt(day) / "manifest.json"


def landing_ready(s: Settings, day: dt.date | str) -> Path:
    """The done-marker of a landing date: its files are complete once it exists."""
    return s.landing_dir / ready_relpath(day)


def reconciliation(s: Settings, day: dt.date | str) -> Path:
    """The clean job's reconciliation report of one landing date."""
    return s.lake_dir / "_audit" / "clean" / _dt(day) / "reconciliation.json"


def lake(s: Settings, layer: str, name: str, day: dt.date | str | None = None) -> Path:
    """``<lake>/<layer>/<name>[/dt=D]`` for layer in bronze, silver, quarantine, kpi."""
    base = s.lake_dir / layer / name
    return base if day is None else base / _dt(day)
