"""Load and check the KPI catalogue (``catalogue.yaml``).

The catalogue is the single definition of every KPI: the docs page, the Postgres DDL, the
loader's column lists and the tests all read it, so a KPI cannot be documented one way and
computed another without a test failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")

#: catalogue column type -> PostgreSQL type.
PG_TYPES: dict[str, str] = {
    "date": "date",
    "timestamp": "timestamp",
    "text": "text",
    "count": "bigint",
    "int": "integer",
    "money": "numeric(18, 2)",
    "rate": "double precision",
    "number": "double precision",
    "boolean": "boolean",
}
PERIODS = ("day", "month")
REQUIRED_KPI_FIELDS = ("name", "title", "definition", "formula", "unit", "owner", "seeds")


@dataclass(frozen=True)
class KpiColumn:
    name: str
    type: str
    comment: str


@dataclass(frozen=True)
class KpiTable:
    name: str
    period: str  # "day" or "month": what one dt= partition holds
    date_column: str
    grain: tuple[str, ...]
    description: str
    columns: tuple[KpiColumn, ...]
    created_by: str = "kpi"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> KpiColumn:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Kpi:
    name: str
    title: str
    definition: str
    formula: str
    unit: str
    owner: str
    seeds: tuple[str, ...]
    columns: tuple[str, ...]  # "table.column"

    @property
    def tables(self) -> list[str]:
        return sorted({c.split(".")[0] for c in self.columns})


@dataclass(frozen=True)
class Catalogue:
    owners: dict[str, str]
    seeds: dict[str, str]
    tables: tuple[KpiTable, ...]
    kpis: tuple[Kpi, ...]

    def table(self, name: str) -> KpiTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"KPI table {name!r} is not in the catalogue.")

    def grains(self, kpi: Kpi) -> list[str]:
        """Human-readable grains of a KPI, from the tables that hold it."""
        return [" x ".join(self.table(t).grain) for t in kpi.tables]


def _table(raw: dict[str, Any]) -> KpiTable:
    cols = tuple(KpiColumn(c["name"], c["type"], c["comment"]) for c in raw["columns"])
    return KpiTable(
        name=raw["name"],
        period=raw["period"],
        date_column=raw["date_column"],
        grain=tuple(raw["grain"]),
        description=" ".join(str(raw["description"]).split()),
        columns=cols,
        created_by=raw.get("created_by", "kpi"),
    )


def _kpi(raw: dict[str, Any]) -> Kpi:
    missing = [f for f in REQUIRED_KPI_FIELDS if not raw.get(f)]
    if missing:
        raise ValueError(f"KPI {raw.get('name')!r} lacks {', '.join(missing)} in the catalogue.")
    return Kpi(
        name=raw["name"],
        title=raw["title"],
        definition=" ".join(str(raw["definition"]).split()),
        formula=str(raw["formula"]),
        unit=str(raw["unit"]),
        owner=raw["owner"],
        seeds=tuple(str(s) for s in raw["seeds"]),
        columns=tuple(raw["columns"]),
    )


def validate(cat: Catalogue) -> list[str]:
    """Every inconsistency in the catalogue, as one sentence each (empty = valid)."""
    errors: list[str] = []
    names = [t.name for t in cat.tables]
    if len(set(names)) != len(names):
        errors.append("table names are not unique")
    for t in cat.tables:
        cols = t.column_names
        if t.period not in PERIODS:
            errors.append(f"{t.name}: period must be one of {PERIODS}")
        for c in t.columns:
            if c.type not in PG_TYPES:
                errors.append(f"{t.name}.{c.name}: unknown type {c.type!r}")
            if not c.comment.strip():
                errors.append(f"{t.name}.{c.name}: needs a comment")
        for g in (*t.grain, t.date_column):
            if g not in cols:
                errors.append(f"{t.name}: grain/date column {g!r} is not a column")
        if len(set(cols)) != len(cols):
            errors.append(f"{t.name}: duplicate column names")
    for k in cat.kpis:
        if k.owner not in cat.owners:
            errors.append(f"{k.name}: unknown owner {k.owner!r}")
        errors += [f"{k.name}: unknown seed {s!r}" for s in k.seeds if s not in cat.seeds]
        for ref in k.columns:
            table, _, column = ref.partition(".")
            if table not in names or column not in cat.table(table).column_names:
                errors.append(f"{k.name}: column {ref!r} is not in the catalogue's tables")
    return errors


@cache
def load(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Parse and validate the catalogue; raise ValueError naming every problem."""
    raw = yaml.safe_load(path.read_text())
    cat = Catalogue(
        owners=dict(raw["owners"]),
        seeds={str(k): v for k, v in raw["seeds"].items()},
        tables=tuple(_table(t) for t in raw["tables"]),
        kpis=tuple(_kpi(k) for k in raw["kpis"]),
    )
    errors = validate(cat)
    if errors:
        raise ValueError(f"The KPI catalogue {path} is invalid: " + "; ".join(errors))
    return cat
