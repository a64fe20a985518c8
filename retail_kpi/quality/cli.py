"""``python -m retail_kpi validate <layer> --date D``: run one gate from the shell.

Exit status 0 when no blocking check failed (warnings are printed), 1 when one did (the
message says which check, which rows and where the Data Docs are) or when the layer has no
data for the date (the message says where it looked; nothing is recorded), 2 on a usage
error such as a date that is not YYYY-MM-DD.
"""

from __future__ import annotations

import argparse
import logging

from retail_kpi.cli_args import iso_date
from retail_kpi.quality.policy import GateResult, QualityGateFailed
from retail_kpi.quality.presence import NoDataForDate

log = logging.getLogger(__name__)

LAYERS = ("landing", "silver", "kpi", "warehouse")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "layer", nargs="?", choices=(*LAYERS, "all"), help="which gate to run ('all' in DAG order)"
    )
    parser.add_argument("--date", type=iso_date, help="landing date YYYY-MM-DD")
    parser.add_argument(
        "--run-id", help="id recorded in audit.validation_result (default manual__<date>)"
    )
    parser.add_argument(
        "--list", action="store_true", help="list the suites and their checks, run nothing"
    )


def _print_suites() -> None:
    from retail_kpi.quality.suites import all_suites

    for name, spec in sorted(all_suites().items()):
        print(f"{name}  ({spec.path.relative_to(spec.path.parents[2])})")
        for e in spec.expectations:
            column = f" [{e.column}]" if e.column else ""
            print(f"    {e.policy:<8} {e.type}{column}")


def _report(result: GateResult) -> None:
    for w in result.warnings:
        column = f" [{w.column}]" if w.column else ""
        print(f"WARNING {w.suite}.{w.expectation}{column}: {w.observed_value}")
    print(
        f"{result.layer} {result.day}: {len(result.outcomes)} checks passed or warned, "
        f"{len(result.warnings)} warning(s); Data Docs {result.data_docs}"
    )


def run(args: argparse.Namespace) -> int:
    if args.list:
        _print_suites()
        return 0
    if args.layer is None or args.date is None:
        log.error("Give a layer and --date, e.g. `validate silver --date 2026-01-05`.")
        return 2
    from retail_kpi.quality.runner import run_gate

    run_id = args.run_id or f"manual__{args.date.isoformat()}"
    layers = LAYERS if args.layer == "all" else (args.layer,)
    for layer in layers:
        try:
            _report(run_gate(layer, args.date, run_id=run_id))
        except (QualityGateFailed, NoDataForDate) as exc:
            log.error("%s", exc)
            return 1
        except Exception as exc:  # a missing database or file: say it in one line
            log.error("%s gate could not run for %s: %s", layer, args.date, exc)
            return 1
    return 0
