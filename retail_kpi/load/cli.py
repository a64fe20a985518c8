"""``python -m retail_kpi load --date YYYY-MM-DD [--run-id ID]``."""

from __future__ import annotations

import argparse
import logging

from retail_kpi.cli_args import iso_date
from retail_kpi.warehouse.db import WarehouseError

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", required=True, type=iso_date, help="landing date, YYYY-MM-DD")
    parser.add_argument(
        "--run-id", default=None, help="id recorded in audit.run_audit (default manual__<date>)"
    )


def run(args: argparse.Namespace) -> int:
    from retail_kpi.load import load_date

    run_id = args.run_id or f"manual__{args.date.isoformat()}"
    try:
        counts = load_date(args.date, run_id=run_id)
    except (WarehouseError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 1
    for table, rows in counts.items():
        print(f"{table:<22} {rows:>10}")
    return 0
