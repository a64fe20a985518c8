"""Vectorised text formatting of columns with Arrow compute (no Python loop per row).

Every landing value is text; these helpers turn numpy arrays into Arrow string arrays
in the exact landing formats (``YYYY-MM-DDTHH:MM:SS``, ``YYYY-MM-DD``, money with two
decimals) so files are byte-stable and fast to build.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Col = pa.Array  # a pa.StringArray without nulls ("" = missing)

DATE_FORMAT = "%Y-%m-%d"


def ints(values: np.ndarray) -> Col:
    """Integers as decimal text."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def zero_padded(values: np.ndarray, width: int) -> Col:
    """Non-negative integers left-padded with zeros to ``width`` digits."""
    return pc.utf8_lpad(ints(values), width=width, padding="0")


def padded(prefix: str, values: np.ndarray, width: int) -> Col:
    """IDs like ``P0042``: a prefix and a zero-padded number."""
    return pc.binary_join_element_wise(prefix, zero_padded(values, width), "")


@lru_cache(maxsize=1)
def _two_digits() -> pa.Array:
    return pa.array([f"{i:02d}" for i in range(100)])


@lru_cache(maxsize=1)
def _clock() -> pa.Array:
    """``HH:MM:SS`` of every second of a day (strftime per row is ~100x slower)."""
    return pa.array([f"T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)])


def fixed2(hundredths: np.ndarray) -> Col:
    """Numbers given in hundredths (cents) as ``-?\\d+\\.\\d\\d``."""
    v = np.asarray(hundredths, dtype=np.int64)
    mag = np.abs(v)
    whole = ints(mag // 100)
    frac = _two_digits().take(pa.array(mag % 100))
    text = pc.binary_join_element_wise(whole, frac, ".")
    if (v < 0).any():
        text = pc.if_else(pa.array(v < 0), pc.binary_join_element_wise("-", text, ""), text)
    return text


def decimal(values: np.ndarray, places: int) -> Col:
    """Floats rounded to ``places`` decimals, always printed with that many digits."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * 10**places).astype(np.int64)
    whole = ints(scaled // 10**places)
    frac = pc.utf8_lpad(ints(scaled % 10**places), width=places, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def timestamps(unix_seconds: np.ndarray) -> Col:
    """Unix seconds (UTC) as ISO-8601 without zone."""
    secs = np.asarray(unix_seconds, dtype=np.int64)
    day = dates(secs // 86_400)
    return pc.binary_join_element_wise(day, _clock().take(pa.array(secs % 86_400)), "")


def dates(unix_days: np.ndarray, pattern: str = DATE_FORMAT) -> Col:
    """Days since 1970-01-01 as ``YYYY-MM-DD`` (or another strftime ``pattern``)."""
    days = np.asarray(unix_days, dtype=np.int64)
    uniq, inverse = np.unique(days, return_inverse=True)  # few distinct days per file
    labels = pc.strftime(pa.array(uniq.astype(np.int32), type=pa.date32()), format=pattern)
    return labels.take(pa.array(inverse.ravel()))


def take(labels: list[str] | tuple[str, ...] | Col, index: np.ndarray) -> Col:
    """Categorical column: ``labels[index]``."""
    arr = labels if isinstance(labels, pa.Array) else pa.array(list(labels), pa.string())
    return arr.take(pa.array(np.asarray(index, dtype=np.int64)))


def const(value: str, n: int) -> Col:
    """A column repeating one value."""
    return take([value], np.zeros(n, dtype=np.int64))


def join(*parts: Col | str, sep: str = "") -> Col:
    """Element-wise concatenation of columns and literals."""
    return pc.binary_join_element_wise(*parts, sep)


def blank_where(col: Col, mask: np.ndarray) -> Col:
    """Empty the values where ``mask`` is true (a missing value in the landing file)."""
    if not mask.any():
        return col
    return pc.if_else(pa.array(mask), "", col)
