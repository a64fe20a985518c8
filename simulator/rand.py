"""Deterministic randomness: named RNG streams and counter-based hashes.

Every random draw is keyed by (seed, date, stream name, chunk), never by call order
across dates, so any date (or any hour of a date) can be regenerated on its own and
gives the same bytes. Per-entity attributes that must stay stable over time (a
customer's city after her third move) come from a stateless hash instead of a stream.
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

EPOCH = dt.date(2018, 1, 1)
SECONDS_PER_DAY = 86_400
_UNIX_EPOCH = dt.date(1970, 1, 1)
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def stream_id(name: str) -> int:
    """Stable small integer for a stream name (crc32 does not change across runs)."""
    return zlib.crc32(name.encode())


def rng(seed: int, day: dt.date | None, name: str, chunk: int = 0) -> np.random.Generator:
    """The generator of one named stream for one date and chunk (PCG64 is portable)."""
    ordinal = 0 if day is None else day.toordinal()
    seq = np.random.SeedSequence([seed & 0xFFFFFFFF, ordinal, stream_id(name), chunk])
    return np.random.Generator(np.random.PCG64(seq))


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return x ^ (x >> np.uint64(31))


def hash64(seed: int, name: str, *parts: np.ndarray | int) -> np.ndarray:
    """Counter-based hash of (seed, name, parts...) -> uint64 array (vectorised)."""
    h = _splitmix(np.asarray([seed & 0xFFFFFFFF], dtype=np.uint64) ^ np.uint64(stream_id(name)))
    for p in parts:
        arr = np.asarray(p).astype(np.int64).astype(np.uint64)
        h = _splitmix(h ^ arr)
    return h


def hash_unit(seed: int, name: str, *parts: np.ndarray | int) -> np.ndarray:
    """Like :func:`hash64` but a float in [0, 1)."""
    return (hash64(seed, name, *parts) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def hash_int(seed: int, name: str, n: int, *parts: np.ndarray | int) -> np.ndarray:
    """Like :func:`hash64` but an int64 in [0, n)."""
    return (hash64(seed, name, *parts) % np.uint64(n)).astype(np.int64)


def day_index(day: dt.date) -> int:
    """Days since :data:`EPOCH` (the start of the simulated business)."""
    return (day - EPOCH).days


def unix_day(day: dt.date) -> int:
    """Unix seconds at 00:00 UTC of ``day``."""
    return (day - _UNIX_EPOCH).days * SECONDS_PER_DAY


def pick_weighted(u: np.ndarray, weights: np.ndarray | list[float]) -> np.ndarray:
    """Map uniforms in [0, 1) to category indices with the given weights."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
