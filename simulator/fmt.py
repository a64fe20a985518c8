"""Vectorised text formatting of columns with Arrow compute (no Python loop per row).

Every landing value is text; these helpers turn numpy arrays into Arrow string arrays
in the exact landing formats (``YYYY-MM-DDTHH:MM:SS``, ``YYYY-MM-DD``, money with two
decimals) so files are byte-stable and fast to build.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Col: TypeAlias = pa.Array  # a pa.StringArray without nulls ("" = missing)

DATE_FORMAT = "%Y-%m-%d"
_UNIX_EPOCH = dt.date(1970, 1, 1)


def arrow(values: np.ndarray) -> pa.Array:
    """numpy int/bool -> Arrow without a copy through Python objects."""
    v = np.asarray(values)
    if v.dtype == np.bool_:
        bits = np.packbits(v, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(v), [None, pa.py_buffer(bits)])
    v = np.ascontiguousarray(v, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(v), [None, pa.py_buffer(v)])


SMALL_INTS = 1 << 17  # integers below this are formatted by table lookup


@lru_cache(maxsize=1)
def _numbers() -> pa.Array:
    return pa.array([str(i) for i in range(SMALL_INTS)])


def ints(values: np.ndarray) -> Col:
    """Integers as decimal text (a table lookup for the common small non-negative case)."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) and v.min() >= 0 and v.max() < SMALL_INTS:
        return _numbers().take(arrow(v))
    return pc.cast(arrow(v), pa.string())


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
    frac = _two_digits().take(arrow(mag % 100))
    text = pc.binary_join_element_wise(whole, frac, ".")
    if (v < 0).any():
        text = pc.if_else(arrow(v < 0), pc.binary_join_element_wise("-", text, ""), text)
    return text


def decimal(values: np.ndarray, places: int) -> Col:
    """Floats rounded to ``places`` decimals, always printed with that many digits."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * 10**places).astype(np.int64)
    whole = ints(scaled // 10**places)
    frac = pc.utf8_lpad(ints(scaled % 10**places), width=places, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


def timestamps(unix_seconds: np.ndarray) -> Col:
    """Unix seconds (UTC) as ISO-8601 without zone.

    Files of events span a few days: one lookup in a per-day table of all 86,400 stamps.
    Snapshots span years: join a date label and a clock label per row instead.
    """
    secs = np.asarray(unix_seconds, dtype=np.int64)
    if not len(secs):  # e.g. no shipments yet: the store opened less than a week ago
        return pa.array([], _clock().type)
    uniq, inverse = np.unique(secs // 86_400, return_inverse=True)
    labels = dates(uniq)
    clock = arrow(secs % 86_400)
    if len(uniq) * 86_400 > 2 * len(secs):
        per_row = labels.take(arrow(inverse.ravel()))
        return pc.binary_join_element_wise(per_row, _clock().take(clock), "")
    table = pa.concat_arrays(
        [pc.binary_join_element_wise(labels[i], _clock(), "") for i in range(len(uniq))]
    )
    return table.take(pc.add(arrow(inverse.ravel() * 86_400), clock))


def dates(unix_days: np.ndarray, pattern: str = DATE_FORMAT) -> Col:
    """Days since 1970-01-01 as ``YYYY-MM-DD`` (or another strftime ``pattern``)."""
    days = np.asarray(unix_days, dtype=np.int64)
    uniq, inverse = np.unique(days, return_inverse=True)  # few distinct days per file
    labels = pa.array([(_UNIX_EPOCH + dt.timedelta(days=int(d))).strftime(pattern) for d in uniq])
    return labels.take(arrow(inverse.ravel()))


def take(labels: list[str] | tuple[str, ...] | Col, index: np.ndarray) -> Col:
    """Categorical column: ``labels[index]``."""
    arr = labels if isinstance(labels, pa.Array) else pa.array(list(labels), pa.string())
    return arr.take(arrow(index))


def const(value: str, n: int) -> Col:
    """A column repeating one value."""
    return take([value], np.zeros(n, dtype=np.int64))


def join(*parts: Col | str, sep: str = "") -> Col:
    """Element-wise concatenation of columns and literals."""
    # An empty column can come typed null (e.g. no returns in a small day's hour); the
    # kernel needs strings.
    typed = [p.cast(pa.string()) if isinstance(p, pa.Array) and pa.types.is_null(p.type) else p
             for p in parts]  # fmt: skip
    return pc.binary_join_element_wise(*typed, sep)


def blank_where(col: Col, mask: np.ndarray) -> Col:
    """Empty the values where ``mask`` is true (a missing value in the landing file)."""
    if not mask.any():
        return col
    return pc.if_else(arrow(mask), "", col)
