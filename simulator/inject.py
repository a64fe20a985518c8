"""Inject an entity's defects and build its file body plus manifest entries.

Each base record draws one uniform; consecutive slices of [0, 1) sized by the kinds'
rates pick at most one defect per record (so each defect is listed exactly once).
Late records come in already appended at the end and only get the late kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_kpi.schemas import BUSINESS_KEYS, KEY_SEPARATOR
from simulator import defects as d
from simulator import fmt, mutate, render


@dataclass
class Built:
    body: render.FileBody
    entries: list[dict]


def _keys(columns: dict[str, fmt.Col], entity: str, rows: np.ndarray) -> list[str]:
    idx = fmt.arrow(rows)
    parts = [columns[c].take(idx).to_pylist() for c in BUSINESS_KEYS[entity]]
    return [KEY_SEPARATOR.join(p) for p in zip(*parts, strict=True)]


def _assign(
    entity: str, rates: d.DefectRates, r: np.random.Generator, n: int
) -> dict[str, np.ndarray]:
    """kind -> sorted rows of the base records that get it (disjoint across kinds)."""
    kinds = [k for k in d.kinds_for(entity) if d.KINDS[k].level != d.LATE]
    u = r.random(n)
    out: dict[str, np.ndarray] = {}
    lo = 0.0
    for kind in kinds:
        hi = lo + rates.rate(kind)
        out[kind] = np.flatnonzero((u >= lo) & (u < hi))
        lo = hi
    return out


def _set_values(col: fmt.Col, rows: np.ndarray, values: list[str]) -> fmt.Col:
    """``col`` with ``values`` at ``rows`` (vectorised: a sparse take + coalesce)."""
    index = np.zeros(len(col), dtype=np.int64)
    index[rows] = np.arange(1, len(rows) + 1)
    patch = pa.array([None, *values], pa.string()).take(fmt.arrow(index))
    return pc.coalesce(patch, col)


def _record(fields: list[str], names: list[str], fmt_name: str) -> str:
    if fmt_name == render.CSV:
        return render.csv_record(fields)
    return mutate.dumps({n: (v if v != "" else None) for n, v in zip(names, fields, strict=True)})


def build(
    entity: str,
    columns: dict[str, fmt.Col],
    *,
    fmt_name: str,
    rates: d.DefectRates,
    r: np.random.Generator,
    late_dates: list[str] | None = None,
) -> Built:
    """Apply defects to the base rows (all but the trailing late ones) and render the file."""
    names = list(columns)
    n_total = len(columns[names[0]])
    late_dates = late_dates or []
    n = n_total - len(late_dates)
    picked = _assign(entity, rates, r, n)
    draws = {k: r.random(len(rows)) for k, rows in picked.items()}
    in_place = _apply_values(entity, columns, picked, draws)
    body = render.FileBody(render.header(names, fmt_name), render.lines(columns, fmt_name))
    in_place_lines, inserted = _apply_lines(entity, body, names, fmt_name, picked, draws, n)
    in_place += in_place_lines
    in_place += [
        (d.LATE_ARRIVING, row, day) for row, day in zip(range(n, n_total), late_dates, strict=True)
    ]
    entries = _entries(entity, columns, in_place, body.final_line)
    entries += _entries(entity, columns, inserted, lambda _rows: body.inserted_lines())
    entries.sort(key=lambda e: e["source_line"])
    return Built(body, entries)


Edit = tuple[str, int, str]  # kind, base row, original value or line


def _apply_values(entity: str, columns: dict[str, fmt.Col], picked: dict[str, np.ndarray],
                  draws: dict[str, np.ndarray]) -> list[Edit]:  # fmt: skip
    """Change one field of each record picked for a VALUE-level kind."""
    edits: list[Edit] = []
    for kind, rows in picked.items():
        spec = d.KINDS[kind]
        if spec.level != d.VALUE or not len(rows):
            continue
        column = spec.targets[entity]
        original = columns[column].take(fmt.arrow(rows)).to_pylist()
        new = [mutate.value(kind, v, float(x)) for v, x in zip(original, draws[kind], strict=True)]
        columns[column] = _set_values(columns[column], rows, new)
        edits += [(kind, row, v) for row, v in zip(rows.tolist(), original, strict=True)]
    return edits


def _apply_lines(entity: str, body: render.FileBody, names: list[str], fmt_name: str,
                 picked: dict[str, np.ndarray], draws: dict[str, np.ndarray],
                 n: int) -> tuple[list[Edit], list[Edit]]:  # fmt: skip
    """Break LINE-level rows in place; insert DUPLICATE copies a little later in the file."""
    replaced: list[Edit] = []
    inserted: list[Edit] = []
    for kind, rows in picked.items():
        level = d.KINDS[kind].level
        if level not in (d.LINE, d.DUPLICATE) or not len(rows):
            continue
        texts = [t[:-1] for t in body.base.take(fmt.arrow(rows)).to_pylist()]
        for row, text, x in zip(rows.tolist(), texts, draws[kind].tolist(), strict=True):
            if level == d.LINE:
                body.replace[row] = mutate.line(kind, text, fmt_name, x)
                replaced.append((kind, row, text))
                continue
            copy = text
            if kind == d.NEAR_DUPLICATE:
                fields = _fields(text, names, fmt_name)
                copy = _record(mutate.near_duplicate(fields, names, entity), names, fmt_name)
            body.insert.append((min(n, row + 1 + int(x * 50)), copy.encode()))
            inserted.append((kind, row, text))
    return replaced, inserted


def _entries(entity: str, columns: dict[str, fmt.Col], edits: list[Edit], line_of) -> list[dict]:
    """Manifest entries of ``edits``; ``line_of(rows)`` gives their physical line numbers."""
    if not edits:
        return []
    rows = np.array([row for _, row, _ in edits], dtype=np.int64)
    keys = _keys(columns, entity, rows)
    lines_no = line_of(rows).tolist()
    return [
        _entry(entity, key, kind, orig, line)
        for (kind, _, orig), key, line in zip(edits, keys, lines_no, strict=True)
    ]


def _fields(text: str, names: list[str], fmt_name: str) -> list[str]:
    if fmt_name == render.CSV:
        return text.split(",")  # duplicated entities never carry quoted text
    record = json.loads(text)
    return [record[n] if record[n] is not None else "" for n in names]


def _entry(entity: str, key: str, kind: str, original: str | None, line: int) -> dict:
    return {
        "entity": entity,
        "record_key": key,
        "kind": kind,
        "original_value": original,
        "source_line": line,
    }
