"""``python -m simulator produce``: publish generated days to the source's Kafka topics.

The upstream simulator's Kafka half (docs/SOURCES.md): each day is generated as for
``generate`` and published, defects and a few poison messages included, to the topics of
``retail_kpi.events.topics``; the ground truth goes to ``<landing>/../simulator/kafka``.

Examples::

    python -m simulator produce --date 2026-02-03
    python -m simulator produce --start 2026-01-01 --end 2026-01-31 --orders 500
    python -m simulator produce --date 2026-02-03 --speed 144            # the day in 10 min
    python -m simulator produce --date 2026-02-03 --speed 144 --follow   # and the next days
    python -m simulator produce --date 2026-02-03 --clean --no-poison
    python -m simulator produce --date 2026-02-03 --window 12:00-12:10   # one interval
    python -m simulator produce --date 2026-02-03 --bootstrap broker1:9092 --partitions 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from retail_kpi.events import topics
from simulator.cli import _dates, add_day_arguments, add_volume_arguments, rates_from
from simulator.kafka_sim import ProduceError, default_manifest_dir, produce_day

EXIT_INTERRUPTED = 130


def _window(text: str) -> tuple[dt.time, dt.time]:
    start, _, end = text.partition("-")
    try:
        lo, hi = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window; use HH:MM-HH:MM") from None
    if hi != dt.time(0) and hi <= lo:
        raise argparse.ArgumentTypeError(f"window {text!r} ends before it starts")
    return lo, hi


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive number (144 = a day in 10 min)"
        )
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``produce`` command (defaults come from the environment)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("Examples::", 1)[1]
    add_day_arguments(parser)
    parser.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="Kafka brokers (default KAFKA_BOOTSTRAP_SERVERS, else the project's broker)",
    )
    add_volume_arguments(parser)
    parser.add_argument(
        "--partitions",
        type=_positive,
        default=topics.DEFAULT_PARTITIONS,
        help="partitions of topics created now; existing topics keep theirs (%(default)s)",
    )
    parser.add_argument(
        "--window",
        type=_window,
        metavar="HH:MM-HH:MM",
        help="only the messages arriving in this part of the day (end 00:00 = midnight)",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        help="replay each day in real time divided by SPEED (144 = 10 min a day); "
        "default: as fast as possible",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="with --date and --speed: go on with the next day, and the next (Ctrl-C stops)",
    )
    parser.add_argument("--no-poison", action="store_true", help="no poison messages")
    parser.add_argument(
        "--manifest-dir",
        type=Path,
        help="where the ground-truth manifests go (default <landing>/../simulator/kafka)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def _days(args: argparse.Namespace) -> Iterator[dt.date]:
    if not args.follow:
        yield from _dates(args)
        return
    if args.date is None or args.speed is None:
        raise SystemExit("--follow needs --date and --speed (e.g. --date 2026-02-03 --speed 144).")
    for k in itertools.count():
        yield args.date + dt.timedelta(days=k)


def run(args: argparse.Namespace) -> int:
    """Produce every requested day; one progress line per entity and a summary per day."""
    from retail_kpi.services import kafka  # reads the broker's recorded ports: not at parse

    bootstrap = args.bootstrap or kafka.bootstrap_servers()
    manifest_dir = args.manifest_dir or default_manifest_dir()
    rates = rates_from(args)
    day = None
    try:
        for day in _days(args):
            t0 = time.perf_counter()
            manifest = produce_day(
                day, bootstrap, seed=args.seed, orders=args.orders, customers=args.customers,
                products=args.products, defects=rates, opened_on=args.opened_on,
                partitions=args.partitions, speed=args.speed, poison=not args.no_poison,
                manifest_dir=manifest_dir, progress=None if args.quiet else print,
                window=args.window,
            )  # fmt: skip
            sent = manifest["kafka"]["topics"].values()
            messages = sum(t["messages"] for t in sent)
            seconds = time.perf_counter() - t0
            print(
                f"{day}: {messages} messages ({sum(t['poison_messages'] for t in sent)} poison, "
                f"{len(manifest['defects'])} defects) in {seconds:.1f}s to {bootstrap}; "
                f"manifest {manifest_dir / f'dt={day}' / 'manifest.json'}"
            )
    except KeyboardInterrupt:
        print(f"produce: stopped during {day}; what was sent is in its manifest.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ProduceError as exc:
        print(f"produce: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"produce: {exc}", file=sys.stderr)
        return 2
    return 0
