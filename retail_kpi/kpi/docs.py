"""Render docs/KPIS.md from the KPI catalogue.

python -m retail_kpi.kpi.docs           # write docs/KPIS.md
python -m retail_kpi.kpi.docs --check   # exit 1 when docs/KPIS.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retail_kpi.config import REPO_ROOT
from retail_kpi.kpi import windows
from retail_kpi.kpi.catalogue import PG_TYPES, Catalogue, load

DOC_PATH = REPO_ROOT / "docs" / "KPIS.md"

RUN_ROWS = [
    (
        "KPI job for a date (Airflow task `compute_kpis`)",
        "`spark-submit spark_jobs/kpis.py --date D --run-id RUN [--lake DIR]"
        " [--recompute-from D0]` or `make kpis KPI_DATE=D`",
    ),
    (
        "Load the dates it recomputed into `mart.kpi_*`",
        "the DAG's `load_warehouse` or `python -m retail_kpi load --date D` (with the facts,"
        " one transaction); KPIs alone: `make kpi-load KPI_DATE=D`",
    ),
    ("Regenerate this page and the KPI migrations", "`make kpi-docs` (`make kpi-check` checks)"),
    ("Tests (independent recomputation, incremental runs, loads)", "`make kpi-test`"),
    ("Benchmark at 1M order lines", "`make bench-kpis` (`bench/results/kpis.json`)"),
]
RUN_TABLE = "\n".join(
    ["| What | Command |", "| --- | --- |", *[f"| {a} | {b} |" for a, b in RUN_ROWS]]
)

INTRO = f"""# KPI catalogue

Generated from `retail_kpi/kpi/catalogue.yaml` by `python -m retail_kpi.kpi.docs` — edit
the YAML, not this page. Every KPI below is computed by the Spark job `spark_jobs/kpis.py`,
written to `lake/kpi/<table>/dt=<date>/` (Parquet) and `lake/kpi_json/dt=<date>/<table>.json`,
and loaded into PostgreSQL `mart.<table>` (readable by `bi_reader`).

## Rules that hold for every KPI

- **Money** is USD, `numeric(18,2)`, converted per row by the clean job with the order day's
  FX rate and summed exactly; averages of money are rounded half-up to the cent.
- **A sale** is a line of an order whose status is not `cancelled` (completed and refunded
  orders are sales; what comes back is reported as returns, by return date). Orders are
  counted as distinct orders with at least one such line.
- **Rates and ratios** are fractions (0.125 = 12.5 %) in double precision. A rate whose
  denominator is zero is **NULL** (never 0, never an error); so is a comparison with a
  period that is not made of *complete* days. A day D is complete when its own landing is
  in the lake (orders of D landed on D: `silver/orders/dt=D/ingest_dt=D`, from files or
  Kafka alike); a day there only through late rows landed later (before the store opened
  or the history starts, a day never landed) is not, so growth against it is N/A.
- **Time** is UTC; a business day is a UTC calendar day; minutes and hours are UTC buckets.
- **Customers** are identified customers only: orders of customer `UNKNOWN` count as sales
  but not as customers. Like orders, a customer counts only through an order with at least
  one sales line (an order whose every line was quarantined has none). A customer is *new*
  in a period when their first such order in the lake falls in it.
- **Snapshots** (product category/name, customer age group) are taken from the latest
  snapshot landed on or before the day (the earliest one for days before the first).

## Incremental recomputation

A run for landing date L recomputes L and every business date D that got rows landed on L
(a folder `silver/<entity>/dt=D/ingest_dt=L` exists), plus what those feed: D+1 (day over
day), D+1..D+13 (week over week), D+1..D+{windows.DAY_LOOKBACK} (28-day selling rate in days of
supply), D+{windows.YEAR_LAG_DAYS} (year over year), every day up to L (new vs returning
customers), and the months of all those days plus the next month and the same month a year
later. Only days present in the lake are recomputed. The job lists them in
`lake/kpi/_touched/dt=L.json`; the loader replaces exactly those dates, one transaction
per date. `--recompute-from D` recomputes everything from D on (backfills, definition
changes).

## Running it

{RUN_TABLE}

At 1M order lines in one business day the KPI job takes 71.4 s (117 CPU s) in the
pipeline (`make bench`, idle machine, 2026-12-03); current figures and how to reproduce them:
README "Performance"; earlier runs: `docs/PERFORMANCE.md`.

JSON files (`lake/kpi_json/dt=<date>/<table>.json`) hold `run_id`, `run_date`, `grain`,
`table`, `dt` and `rows` (one object per row, columns as in the table below; money as JSON
numbers with at most two decimals, timestamps as `YYYY-MM-DDTHH:MM:SSZ`). Monthly tables
are filed under the month's first day.
"""


def _kpi_index(cat: Catalogue) -> list[str]:
    out = [
        "## KPIs",
        "",
        "| KPI | Unit | Grains | Owner | Seeds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for k in cat.kpis:
        grains = "<br>".join(sorted(set(cat.grains(k))))
        seeds = ", ".join(k.seeds)
        out.append(f"| [{k.title}](#{k.name}) | {k.unit} | {grains} | {k.owner} | {seeds} |")
    out.append("")
    for k in cat.kpis:
        cols = ", ".join(f"`{c}`" for c in k.columns)
        out += [
            f'<a id="{k.name}"></a>',
            f"### {k.title}",
            "",
            f"{k.definition}",
            "",
            f"- **Formula:** `{k.formula}`",
            f"- **Unit:** {k.unit} · **Owner:** {k.owner} ({cat.owners[k.owner]})",
            f"- **Seeds:** {', '.join(f'{s} ({cat.seeds[s]})' for s in k.seeds)}",
            f"- **Columns:** {cols}",
            "",
        ]
    return out


def _tables(cat: Catalogue) -> list[str]:
    out = ["## Tables", ""]
    for t in cat.tables:
        owner = " (created by the warehouse migrations)" if t.created_by != "kpi" else ""
        out += [
            f"### mart.{t.name}{owner}",
            "",
            f"{t.description}",
            "",
            f"Grain: {' x '.join(t.grain)}. One partition per {t.period} (`{t.date_column}`).",
            "",
            "| Column | Type | Meaning |",
            "| --- | --- | --- |",
        ]
        out += [f"| `{c.name}` | {PG_TYPES[c.type]} | {c.comment} |" for c in t.columns]
        out.append("")
    return out


def render(cat: Catalogue | None = None) -> str:
    cat = cat or load()
    return "\n".join([INTRO, *_kpi_index(cat), *_tables(cat)]).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render docs/KPIS.md from the KPI catalogue.")
    p.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    p.add_argument("--out", type=Path, default=DOC_PATH)
    args = p.parse_args(argv)
    text = render()
    if args.check:
        if not args.out.exists() or args.out.read_text() != text:
            print(
                f"{args.out} is out of date; run `python -m retail_kpi.kpi.docs`.", file=sys.stderr
            )
            return 1
        return 0
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
