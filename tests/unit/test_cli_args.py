"""The shared ``--date`` type: every command rejects a bad date with one argparse sentence."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from retail_kpi import cli
from retail_kpi.cli_args import iso_date
from retail_kpi.ops import dagrun
from simulator import commands as simulator_cli

BAD = "2026-13-45"
SENTENCE = f"'{BAD}' is not a date (YYYY-MM-DD)"


def test_an_iso_date_is_a_date():
    assert iso_date("2026-03-09") == dt.date(2026, 3, 9)
    assert iso_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize("text", [BAD, "2026-02-30", "2025-02-29", "09/03/2026", "tomorrow", ""])
def test_anything_else_is_a_usage_error_that_says_the_format(text):
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        iso_date(text)
    assert str(caught.value) == f"{text!r} is not a date (YYYY-MM-DD)"


#: Both command lines: the pipeline's and the upstream simulator's.
MAINS = {"retail_kpi": cli.main, "simulator": simulator_cli.main}


@pytest.mark.parametrize(
    ("program", "argv", "option"),
    [
        ("retail_kpi", ["validate", "silver", "--date", BAD], "--date"),
        ("retail_kpi", ["load", "--date", BAD], "--date"),
        ("retail_kpi", ["demo", "--start", BAD], "--start"),
        ("simulator", ["generate", "--date", BAD], "--date"),
        ("simulator", ["generate", "--start", BAD, "--end", "2026-03-09"], "--start"),
        ("simulator", ["generate", "--start", "2026-03-09", "--end", BAD], "--end"),
        ("simulator", ["generate", "--date", "2026-03-09", "--opened-on", BAD], "--opened-on"),
        ("simulator", ["produce", "--date", BAD], "--date"),
    ],
)
def test_every_command_rejects_a_bad_date_with_exit_status_2(program, argv, option, capsys):
    with pytest.raises(SystemExit) as caught:
        MAINS[program](argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"python -m {program} {argv[0]}: error: argument {option}: {SENTENCE}"
    )
    assert "fromisoformat" not in err


@pytest.mark.parametrize("command", ["generate", "produce"])
def test_the_pipeline_cli_points_simulator_commands_to_their_own(command, capsys):
    """They moved to ``python -m simulator``; the pipeline's command line never imports it."""
    assert all(not module.startswith("simulator") for module, _ in cli.COMMANDS.values())
    with pytest.raises(SystemExit) as caught:
        cli.main(["-v", command, "--date", "2026-03-09"])
    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"python -m retail_kpi: error: '{command}' belongs to the upstream simulator: "
        f"python -m simulator {command}."
    )


@pytest.mark.parametrize("argv", [["--from", BAD], ["--from", "2026-03-09", "--to", BAD]])
def test_dagrun_rejects_a_bad_date_the_same_way(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        dagrun.main(["retail_daily", *argv])
    assert caught.value.code == 2
    option = argv[-2]
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"argument {option}: {SENTENCE}")
