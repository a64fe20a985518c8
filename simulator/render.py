"""Columns -> raw lines (CSV or JSON lines) -> one file's bytes, defects spliced in.

Lines are built column-wise with Arrow, then the file is written straight from the
Arrow data buffer (zero copy) with the few defective lines replaced or inserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator import fmt

CSV, JSONL = "csv", "jsonl"
FORMATS = (CSV, JSONL)
_NEEDS_QUOTES = '[",\\r\\n]'
#: Columns holding free text (names, addresses): the only ones that may need quoting or
#: JSON escaping; generated ids, codes, numbers and timestamps never do.
FREE_TEXT = frozenset({"first_name", "last_name", "email", "city", "address", "product_name"})


def _csv_field(col: fmt.Col) -> fmt.Col:
    """RFC 4180 quoting, only where a value needs it (never for generated ids/numbers)."""
    needs = pc.match_substring_regex(col, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return col
    quoted = fmt.join('"', pc.replace_substring(col, '"', '""'), '"')
    return pc.if_else(needs, quoted, col)


def _json_field(col: fmt.Col, free_text: bool) -> fmt.Col:
    if free_text and pc.any(pc.match_substring_regex(col, '["\\\\]')).as_py():
        col = pc.replace_substring(pc.replace_substring(col, "\\", "\\\\"), '"', '\\"')
    return pc.if_else(pc.equal(col, ""), "null", fmt.join('"', col, '"'))


def lines(columns: dict[str, fmt.Col], fmt_name: str) -> fmt.Col:
    """One text line per record, newline included (one Arrow join over all fields)."""
    parts: list[fmt.Col | str] = []
    for i, (name, col) in enumerate(columns.items()):
        if fmt_name == CSV:
            if i:
                parts.append(",")
            parts.append(_csv_field(col) if name in FREE_TEXT else col)
        else:
            parts.append(("{" if i == 0 else ",") + f'"{name}":')
            parts.append(_json_field(col, name in FREE_TEXT))
    parts.append("\n" if fmt_name == CSV else "}\n")
    return fmt.join(*parts)


def header(names: list[str], fmt_name: str) -> bytes:
    return (",".join(names) + "\n").encode() if fmt_name == CSV else b""


def csv_record(values: list[str]) -> str:
    """One CSV line from Python values, quoted exactly like :func:`lines`."""
    out = []
    for v in values:
        if any(ch in v for ch in '",\r\n'):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return ",".join(out)


@dataclass
class FileBody:
    """A file's base lines plus edits: replaced lines and lines inserted before a base row."""

    header: bytes
    base: fmt.Col  # lines, each ending with a newline
    replace: dict[int, bytes] = field(default_factory=dict)
    insert: list[tuple[int, bytes]] = field(default_factory=list)  # (before base row, line)

    def count(self) -> int:
        return len(self.base) + len(self.insert)

    def final_line(self, base_rows: np.ndarray) -> np.ndarray:
        """1-based physical line number of base rows (header counts as line 1 in CSV)."""
        before = np.sort(np.array([p for p, _ in self.insert], dtype=np.int64))
        shift = np.searchsorted(before, base_rows, side="right")
        return base_rows + shift + 1 + (1 if self.header else 0)

    def inserted_lines(self) -> np.ndarray:
        """Physical line numbers of inserted lines, in the order of ``self.insert``."""
        order = sorted(range(len(self.insert)), key=lambda k: (self.insert[k][0], k))
        out = np.empty(len(self.insert), dtype=np.int64)
        for rank, k in enumerate(order):
            out[k] = self.insert[k][0] + rank + 1 + (1 if self.header else 0)
        return out

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The file's bytes in pieces, base lines straight from the Arrow buffer."""
        yield self.header
        arr = self.base.cast(pa.large_string())
        n = len(arr)
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
        data = memoryview(arr.buffers()[2]) if n else memoryview(b"")
        events: list[tuple[int, int, bytes]] = [(p, 0, b) for p, b in self.insert]
        events += [(r, 1, b) for r, b in self.replace.items()]
        events.sort(key=lambda e: (e[0], e[1]))
        pos = 0
        for row, kind, text in events:
            if row > pos:
                yield data[offsets[pos] : offsets[row]]
                pos = row
            yield text + b"\n"
            if kind == 1:
                pos = row + 1
        if pos < n:
            yield data[offsets[pos] : offsets[n]]
