"""Generate the ``mart.kpi_*`` migrations from the catalogue (one table per file).

    python -m retail_kpi.kpi.ddl            # (re)write warehouse/migrations/V1xx__create_kpi_*.sql
    python -m retail_kpi.kpi.ddl --check    # exit 1 if a file differs from the catalogue

Applied migrations must not change, so once a table is released a catalogue change needs a
new ``V1xx__alter_...`` migration written by hand; ``--check`` then tells which file drifted.
Tables marked ``created_by: warehouse`` are created by the warehouse area's migrations.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retail_kpi.config import REPO_ROOT
from retail_kpi.kpi.catalogue import PG_TYPES, Catalogue, KpiTable, load

MIGRATIONS_DIR = REPO_ROOT / "warehouse" / "migrations"
FIRST_VERSION = 100  # V100-V199 belong to the KPI layer
SCHEMA = "mart"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_sql(t: KpiTable) -> str:
    """DDL of one KPI table: columns, primary key on the grain, comments on everything."""
    name = f"{SCHEMA}.{t.name}"
    cols = []
    for c in t.columns:
        not_null = " not null" if c.name in t.grain or c.name == t.date_column else ""
        cols.append(f"    {c.name} {PG_TYPES[c.type]}{not_null}")
    cols.append(f"    primary key ({', '.join(t.grain)})")
    # "retail_kpi.kpi.load" is now retail_kpi.load.kpi_tables; the old name stays because
    # applied migrations are checksummed and this must reproduce them byte for byte.
    lines = [
        "-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.",
        f"-- Grain: {' x '.join(t.grain)}. Loaded per {t.period} by retail_kpi.kpi.load.",
        f"create table {name} (",
        ",\n".join(cols),
        ");",
        "",
    ]
    if t.grain[0] != t.date_column:
        lines += [f"create index {t.name}_{t.date_column}_idx on {name} ({t.date_column});", ""]
    lines.append(f"comment on table {name} is {_quote(t.description)};")
    lines += [f"comment on column {name}.{c.name} is {_quote(c.comment)};" for c in t.columns]
    return "\n".join(lines) + "\n"


def migration_files(cat: Catalogue) -> dict[str, str]:
    """File name -> SQL for every KPI-owned table, numbered in catalogue order."""
    owned = [t for t in cat.tables if t.created_by == "kpi"]
    return {
        f"V{FIRST_VERSION + i:03d}__create_{t.name}.sql": create_sql(t) for i, t in enumerate(owned)
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Generate the KPI table migrations.")
    p.add_argument("--check", action="store_true", help="only compare, write nothing")
    p.add_argument("--dir", type=Path, default=MIGRATIONS_DIR)
    args = p.parse_args(argv)
    drift = []
    for name, text in migration_files(load()).items():
        path = args.dir / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                drift.append(name)
        else:
            path.write_text(text)
    if drift:
        print(
            f"KPI migrations differ from the catalogue: {', '.join(drift)}; "
            "add an alter migration or regenerate before release.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
