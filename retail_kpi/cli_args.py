"""Argument types shared by every command line (``python -m retail_kpi ...`` and the ops CLIs).

An argparse ``type=`` that raises :class:`argparse.ArgumentTypeError` gets its message
printed as ``argument --date: <message>`` with exit status 2; any other exception (what
``dt.date.fromisoformat`` raises) is printed as ``invalid fromisoformat value``.
"""

from __future__ import annotations

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; anything else is a usage error that says what to type."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def iso_dates(text: str) -> list[dt.date]:
    """``YYYY-MM-DD[,YYYY-MM-DD...]`` as sorted distinct dates (a Spark task's dates)."""
    days = {iso_date(part.strip()) for part in text.split(",") if part.strip()}
    if not days:
        raise argparse.ArgumentTypeError(f"{text!r} names no date (YYYY-MM-DD[,YYYY-MM-DD])")
    return sorted(days)
