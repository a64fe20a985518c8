"""``python -m retail_kpi <command>``: the one command-line entry point.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args)``;
this file only wires them, so areas of the code base do not edit each other's files.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

#: command -> (module, one-line help). Every module must import: a broken one fails the
#: command line loudly instead of its command silently missing from ``--help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "warehouse": ("retail_kpi.warehouse.cli", "ensure, migrate and inspect the warehouse"),
    "load": ("retail_kpi.load.cli", "load silver/KPI data of a date into Postgres"),
    "validate": ("retail_kpi.quality.cli", "run the Great Expectations gates of a layer"),
    "demo": ("retail_kpi.demo", "print the KPI summary read back from Postgres"),
}
#: The upstream source's commands: the simulator's own command line, never imported here.
SIMULATOR_COMMANDS = ("generate", "produce")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi",
        description="Retail KPI warehouse command line. Configuration comes from the "
        "environment (see README, 'Configuration').",
        epilog="The data it reads comes from upstream sources, simulated by their own "
        "command line: python -m simulator generate|produce --help.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    modules = {}
    for name, (module_name, help_) in COMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        module.configure(sub.add_parser(name, help=help_, description=help_))
    given = sys.argv[1:] if argv is None else argv
    command = next((a for a in given if not a.startswith("-")), None)
    if command in SIMULATOR_COMMANDS:
        parser.error(
            f"'{command}' belongs to the upstream simulator: python -m simulator {command}."
        )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(modules[args.command].run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
