"""The shared ``--date`` type: every command rejects a bad date with one argparse sentence."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from retail_kpi import cli
from retail_kpi.cli_args import iso_date
from retail_kpi.ops import dagrun

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


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["validate", "silver", "--date", BAD], "--date"),
        (["load", "--date", BAD], "--date"),
        (["generate", "--date", BAD], "--date"),
        (["generate", "--start", BAD, "--end", "2026-03-09"], "--start"),
        (["generate", "--start", "2026-03-09", "--end", BAD], "--end"),
        (["generate", "--date", "2026-03-09", "--opened-on", BAD], "--opened-on"),
        (["demo", "--start", BAD], "--start"),
    ],
)
def test_every_command_rejects_a_bad_date_with_exit_status_2(argv, option, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"python -m retail_kpi {argv[0]}: error: argument {option}: {SENTENCE}"
    )
    assert "fromisoformat" not in err


@pytest.mark.parametrize("argv", [["--from", BAD], ["--from", "2026-03-09", "--to", BAD]])
def test_dagrun_rejects_a_bad_date_the_same_way(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        dagrun.main(["retail_daily", *argv])
    assert caught.value.code == 2
    option = argv[-2]
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"argument {option}: {SENTENCE}")
