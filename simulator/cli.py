"""``python -m simulator generate``: landing files for a date, a date range or an interval.

This is the upstream simulator: it drops a date's files and then, for a whole day, the
done-marker ``<out>/_ready/dt=D.json`` that ``retail_daily`` waits for (an interval
writes none). A rerun replaces the files and the marker.

Examples::

    python -m simulator generate --date 2026-02-03
    python -m simulator generate --start 2026-01-01 --end 2026-01-31 --orders 50000
    python -m simulator generate --start 2025-12-01 --end 2026-02-28 --bulk   # history, one drop
    python -m simulator generate --date 2026-02-03 --interval 10:30 --format jsonl
    python -m simulator generate --date 2026-02-03 --clean          # no defects
    python -m simulator generate --date 2026-02-03 --rate late_arriving=0.05
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from retail_kpi.cli_args import iso_date
from retail_kpi.config import settings
from retail_kpi.landing import ready_relpath
from simulator.core import Progress, generate_day
from simulator.defects import DefectRates
from simulator.history import generate_history
from simulator.render import FORMATS

INTERVAL_MINUTES = 10


def _clock(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time; use HH:MM.") from None


def _rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    known = {f.name for f in fields(DefectRates)}
    if name not in known:
        raise argparse.ArgumentTypeError(
            f"unknown defect kind {name!r}; use one of {', '.join(sorted(known))}."
        )
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"rate {value!r} is not a number (e.g. 0.01).") from None


def add_day_arguments(parser: argparse.ArgumentParser) -> None:
    """``--date`` or ``--start``/``--end``: the days a simulator command writes."""
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=iso_date, help="one business date (YYYY-MM-DD)")
    when.add_argument("--start", type=iso_date, help="first date of a range (with --end)")
    parser.add_argument("--end", type=iso_date, help="last date of the range, inclusive")


def add_volume_arguments(parser: argparse.ArgumentParser) -> None:
    """Seed, volumes, opening date and defect rates, shared by ``generate`` and ``produce``
    (defaults from the environment); read back with :func:`rates_from`."""
    s = settings()
    parser.add_argument("--seed", type=int, default=s.seed, help="random seed (%(default)s)")
    parser.add_argument(
        "--orders", type=int, default=s.orders_per_day, help="average orders per day (%(default)s)"
    )
    parser.add_argument(
        "--customers", type=int, default=s.customers, help="customer base size (%(default)s)"
    )
    parser.add_argument(
        "--products", type=int, default=s.products, help="catalogue size (%(default)s)"
    )
    parser.add_argument(
        "--opened-on",
        type=iso_date,
        default=s.opened_on,
        metavar="DATE",
        help="store opening date: shipments and returns never refer to earlier orders "
        "(default RETAIL_OPENED_ON: %(default)s)",
    )
    parser.add_argument(
        "--defect-scale",
        type=float,
        default=1.0,
        help="multiply every default defect rate (0 = clean data)",
    )
    parser.add_argument(
        "--clean", action="store_true", help="no defects (same as --defect-scale 0)"
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="set one defect rate, e.g. late_arriving=0.05 (repeatable)",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``generate`` command (defaults come from the environment)."""
    s = settings()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("Examples::", 1)[1]
    add_day_arguments(parser)
    parser.add_argument(
        "--interval",
        type=_clock,
        metavar="HH:MM",
        help=f"only the {INTERVAL_MINUTES}-minute interval starting at HH:MM "
        "(orders, order lines, sessions) of --date",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=s.landing_dir,
        help="landing root (default RETAIL_LANDING_DIR: %(default)s)",
    )
    parser.add_argument("--format", choices=FORMATS, default="csv", help="file format")
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="with --start/--end: one bulk history drop landed on --end (a file per entity "
        "and day, one done-marker declaring the days it holds whole) instead of a drop per day",
    )
    add_volume_arguments(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def _dates(args: argparse.Namespace) -> list[dt.date]:
    if args.date is not None:
        return [args.date]
    if args.end is None or args.end < args.start:
        raise SystemExit(
            "--start needs --end on or after it (e.g. --start 2026-01-01 --end 2026-01-07)."
        )
    return [args.start + dt.timedelta(days=i) for i in range((args.end - args.start).days + 1)]


def rates_from(args: argparse.Namespace) -> DefectRates:
    """Defect rates from --clean / --defect-scale / --rate."""
    scale = 0.0 if args.clean else args.defect_scale
    rates = DefectRates.scaled(scale) if scale != 1.0 else DefectRates()
    return replace(rates, **dict(args.rate))


def day_options(args: argparse.Namespace, rates: DefectRates) -> dict[str, Any]:
    """``generate_day``'s seed, volumes, defect rates and opening date from the arguments."""
    return {
        "seed": args.seed,
        "orders": args.orders,
        "customers": args.customers,
        "products": args.products,
        "defects": rates,
        "opened_on": args.opened_on,
    }


def run(args: argparse.Namespace) -> int:
    """Generate every requested date; print one progress line per entity and a summary."""
    if args.interval is not None and args.date is None:
        raise SystemExit("--interval works with --date only.")
    rates = rates_from(args)
    out = print if not args.quiet else None
    if args.bulk:
        return _bulk(args, rates, out)
    for day in _dates(args):
        interval = None
        if args.interval is not None:
            start = dt.datetime.combine(day, args.interval)
            interval = (start, start + dt.timedelta(minutes=INTERVAL_MINUTES))
        t0 = time.perf_counter()
        try:
            manifest = generate_day(
                day,
                args.out,
                fmt=args.format,
                interval=interval,
                progress=out,
                **day_options(args, rates),
            )
        except ValueError as exc:
            print(f"generate: {exc}", file=sys.stderr)
            return 2
        rows = sum(manifest["counts"].values())
        ready = "" if interval else f" (done-marker {ready_relpath(day)})"
        print(
            f"{day}: {rows} rows, {len(manifest['defects'])} defects in "
            f"{time.perf_counter() - t0:.1f}s -> {args.out}{ready}"
        )
    return 0


def _bulk(args: argparse.Namespace, rates: DefectRates, out: Progress | None) -> int:
    """``--bulk``: the range as one history drop (:mod:`simulator.history`)."""
    if args.date is not None or args.interval is not None:
        raise SystemExit("--bulk takes a range: --start and --end, no --date or --interval.")
    days = _dates(args)
    t0 = time.perf_counter()
    try:
        manifest = generate_history(
            days[0],
            days[-1],
            args.out,
            progress=out,
            fmt=args.format,
            **day_options(args, rates),
        )
    except ValueError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    rows = sum(manifest["counts"].values())
    print(
        f"{days[0]}..{days[-1]}: {rows} rows, {len(manifest['defects'])} defects in "
        f"{time.perf_counter() - t0:.1f}s -> {args.out} as one drop landed on {days[-1]} "
        f"(done-marker {ready_relpath(days[-1])})"
    )
    return 0
