"""``python -m simulator <command>``: the upstream source's command line.

The pipeline reads what real sources would send; this stands in for them. ``generate``
drops a date's landing files and then its done-marker (:mod:`simulator.cli`), ``produce``
publishes days to the Kafka topics (:mod:`simulator.produce_cli`). The pipeline's own
command line is ``python -m retail_kpi``, which knows nothing of this one.
"""

from __future__ import annotations

import argparse
import logging
from types import ModuleType

from simulator import cli, produce_cli

#: command -> (module with ``configure(parser)`` and ``run(args)``, one-line help).
COMMANDS: dict[str, tuple[ModuleType, str]] = {
    "generate": (cli, "drop dirty retail landing files (and done-markers) for dates"),
    "produce": (produce_cli, "publish generated days to the Kafka topics"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Upstream source simulator: dirty, deterministic retail data with a "
        "ground-truth defect manifest, as files to landing or events to Kafka. "
        "Configuration comes from the environment (see README, 'Configuration').",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (module, help_) in COMMANDS.items():
        module.configure(sub.add_parser(name, help=help_, description=help_))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(COMMANDS[args.command][0].run(args) or 0)
