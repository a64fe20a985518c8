"""Read one layer's data of one date into pandas, the engine the gates validate with.

Why pandas over pyarrow rather than Spark: at 1M order lines GX on pandas takes seconds
while GX on Spark pays a Spark job per metric (see ``bench/bench_validate.py`` and
docs/QUALITY.md). Missing data is not an exception here: it becomes an empty frame with
the contract's columns, so the suite's row-count expectation fails with a readable
"observed 0" instead of a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads

from retail_kpi import landing as landing_contract
from retail_kpi import paths, schemas
from retail_kpi.config import Settings

#: The frame's columns when a dataset is absent (the suite then fails on row count).
_PANDAS_DTYPE = {
    "string": "object",
    "int": "int64",
    "decimal": "float64",
    "timestamp": "datetime64[ns]",
    "date": "datetime64[ns]",
    "boolean": "bool",
}


def empty_frame(columns: tuple[schemas.Column, ...]) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=_PANDAS_DTYPE[c.type]) for c in columns})


#: Added to every landing frame: why a line could not be split (NULL when it could).
PARSE_ERROR = "_parse_error"
# One RFC 4180 field: quoted (commas and doubled quotes allowed) or bare. Same rule as the
# Spark ingest (spark_jobs/ingest.py), so the gate sees the lines the ingest will reject.
# RE2 (Arrow's regex engine) has no possessive quantifiers and needs none: it never
# backtracks, and the grammar is unambiguous (a closing quote must be followed by a comma
# or the end of the line), so it accepts exactly the lines the ingest's Java regex does.
_FIELD = r'(?:"(?:[^"]|"")*"|[^",]*)'
_BOM = "\ufeff"
#: Landing values are text. pandas' Arrow-backed string dtype (pandas 3's default ``str``,
#: NaN for missing) lets GX's string checks (``astype(str).str...``) run vectorised in
#: Arrow instead of per Python object (see ``landing.PANDAS_OPTIONS``).
TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))


def _line_pattern(n_fields: int) -> str:
    return f"^{_FIELD}(?:,{_FIELD}){{{n_fields - 1}}}$"


def _as_text(table: pa.Table) -> pd.DataFrame:
    # one chunk per column: GX filters the frame per metric, and Arrow takes rows from a
    # single chunk several times faster than across the CSV reader's blocks
    return table.combine_chunks().to_pandas(
        types_mapper=lambda t: TEXT if pa.types.is_string(t) else None
    )


#: Stands in for a carriage return inside a record while Arrow parses it (Arrow ends a row
#: at a bare CR; the ingest ends records at LF only and keeps the CR in the value).
_CR_STAND_IN = "\x1e"


def _parse_records(records: pa.Array, names: list[str]) -> pa.Table:
    """Well-formed CSV records (one per element) as a table of text columns ``names``."""
    if not len(records):
        return pa.table({n: pa.array([], pa.string()) for n in names})
    if pc.any(pc.match_substring(records, "\r")).as_py():
        table = _parse_records(pc.replace_substring(records, "\r", _CR_STAND_IN), names)
        return pa.table({n: pc.replace_substring(table[n], _CR_STAND_IN, "\r") for n in names})
    lines = pa.LargeListArray.from_arrays(pa.array([0, len(records)], pa.int64()), records)
    text = pc.binary_join(lines, pa.scalar("\n", pa.large_string()))[0]
    del lines
    return pacsv.read_csv(
        pa.BufferReader(text.as_buffer()),
        read_options=pacsv.ReadOptions(column_names=names),
        parse_options=pacsv.ParseOptions(
            invalid_row_handler=lambda row: "skip",  # a header of another width: the
        ),  # column check reports it
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _read_csv_lines(path: Path, entity: str) -> pd.DataFrame:
    """Each physical line is one record, as in the ingest: a broken line is kept as a row
    of NULLs with its ``_parse_error`` instead of derailing the parser for the whole file.

    The lines are classified and the good ones parsed by Arrow (C++, no Python object per
    line or value). Memory: at 5M order lines a file is ~1 GB of text; each intermediate
    is released as soon as the next one exists."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if not text:
        return pd.DataFrame()
    lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").values
    del text
    if lines[len(lines) - 1].as_py() == "":
        lines = lines.slice(0, len(lines) - 1)
    lines = pc.utf8_rtrim(lines, "\r")
    header = lines[0].as_py().lstrip(_BOM)
    body = lines.slice(1)
    del lines
    undecodable = pc.match_substring(body, "\ufffd")
    well_formed = pc.match_substring_regex(body, _line_pattern(len(schemas.LANDING[entity])))
    good = pc.and_(pc.invert(undecodable), well_formed)
    errors = pc.if_else(
        undecodable, "undecodable bytes", "wrong field count or broken quoting"
    ).filter(pc.invert(good))
    kept = body.filter(good)
    del body
    names = next(csv.reader([header]), [])
    parsed = _as_text(_parse_records(kept, names))
    del kept
    parsed[PARSE_ERROR] = pd.Series(float("nan"), index=parsed.index, dtype=TEXT)
    if not len(errors):
        return parsed
    bad = pd.DataFrame({c: pd.Series(float("nan"), index=range(len(errors)), dtype=TEXT)
                        for c in parsed.columns[:-1]})  # fmt: skip
    bad[PARSE_ERROR] = pd.Series(errors.to_pylist(), dtype=TEXT)
    return pd.concat([parsed, bad], ignore_index=True)


def _json_record(line: bytes, names: list[str]) -> tuple[dict[str, Any] | None, str | None]:
    """(values, None) of a JSON-lines record with exactly the contract's keys, else
    (None, why): one malformed line, as the ingest sees it (never extra columns)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "undecodable bytes"
    try:
        record = json.loads(text)
    except ValueError:
        return None, "not a JSON object"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    if len(record) != len(names) or set(record) != set(names):
        return None, "wrong field count"
    # missing values read as "" like an empty CSV field (the generator writes null)
    return {n: "" if record[n] is None else str(record[n]) for n in names}, None


def _read_jsonl(path: Path, entity: str) -> pd.DataFrame:
    """JSON lines as the contract's text columns; a line that is not valid UTF-8, not a
    JSON object, or whose keys are not exactly the contract's is one row of NULLs with
    its ``_parse_error`` (the CSV path's tolerance), as the Spark ingest treats it."""
    names = schemas.column_names(entity)
    columns: dict[str, list[Any]] = {n: [] for n in [*names, PARSE_ERROR]}
    empty = dict.fromkeys(names)
    with path.open("rb") as fh:
        for raw in fh:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            values, error = _json_record(line, names)
            for n, v in (values or empty).items():
                columns[n].append(v)
            columns[PARSE_ERROR].append(error)
    return pd.DataFrame(columns).astype(TEXT)


def read_landing(
    s: Settings, entity: str, day: dt.date, files: list[tuple[str, str]] | None = None
) -> tuple[pd.DataFrame, str]:
    """The landing files of ``entity`` for ``day`` that count, values as text (as the
    ingest reads them). ``files``: (path relative to the landing root, format) from
    :func:`retail_kpi.landing.select`; None = select them here (raises on a problem)."""
    folder = paths.landing(s, entity, day)
    if files is None:
        files = landing_contract.select_local(s.landing_dir, day).check().files[entity]
    if not files:
        as_text = [schemas.Column(c.name, "string") for c in schemas.LANDING[entity]]
        frame = empty_frame((*as_text, schemas.Column(PARSE_ERROR, "string")))
        return frame, str(folder)
    parts = [
        _read_csv_lines(s.landing_dir / rel, entity)
        if fmt == landing_contract.CSV
        else _read_jsonl(s.landing_dir / rel, entity)
        for rel, fmt in files
    ]
    return pd.concat(parts, ignore_index=True), str(folder)


def _pandas_type(t: pa.DataType) -> pa.DataType:
    """The Arrow type whose pandas column GX checks vectorised instead of per Python value:
    decimals -> float64 (cent-exact sums are SQL's job), ints -> int64, dates ->
    datetime64[ns] (GX's range check loops in Python over int32 and date objects)."""
    if pa.types.is_decimal(t):
        return pa.float64()
    if pa.types.is_integer(t):
        return pa.int64()
    if pa.types.is_date(t):
        return pa.timestamp("ns")
    return t


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    schema = pa.schema([pa.field(f.name, _pandas_type(f.type)) for f in table.schema])
    return table.cast(schema).to_pandas()


def touched(s: Settings, entity: str, day: dt.date) -> set[dt.date]:
    """Business dates under which the run of landing date ``day`` wrote ``entity`` rows."""
    base = s.silver_dir / entity
    if not base.is_dir():
        return set()
    marker = f"ingest_dt={day.isoformat()}"
    return {dt.date.fromisoformat(p.name[3:]) for p in base.glob("dt=*") if (p / marker).is_dir()}


def silver_files(s: Settings, entity: str, day: dt.date) -> list[Path]:
    """Parquet files this run wrote: ``silver/<entity>/dt=*/ingest_dt=<day>/``."""
    base = paths.lake(s, "silver", entity)
    pattern = f"dt=*/ingest_dt={day.isoformat()}/*.parquet"
    return sorted(p for p in base.glob(pattern) if not p.name.startswith(("_", ".")))


def read_parquet_files(files: list[Path], columns: tuple[schemas.Column, ...]) -> pd.DataFrame:
    if not files:
        return empty_frame(columns)
    dataset = pads.dataset([str(f) for f in files], format="parquet", partitioning=None)
    return _arrow_to_pandas(dataset.to_table())


def read_silver(s: Settings, entity: str, day: dt.date) -> tuple[pd.DataFrame, str]:
    """The rows of ``entity`` written by the run of landing date ``day`` (all dt)."""
    files = silver_files(s, entity, day)
    where = str(paths.lake(s, "silver", entity)) + f"/dt=*/ingest_dt={day.isoformat()}"
    return read_parquet_files(files, schemas.SILVER[entity]), where


def read_silver_dates(s: Settings, entity: str, dates: set[str]) -> pd.DataFrame:
    """Every ingest of the business dates ``dates`` (for referential checks)."""
    base = paths.lake(s, "silver", entity)
    files = [p for d in sorted(dates) for p in base.glob(f"dt={d}/ingest_dt=*/*.parquet")]
    return read_parquet_files(files, schemas.SILVER[entity])


def read_json(path: Path) -> dict[str, Any] | None:
    """A small JSON document (manifest, reconciliation), or None when absent."""
    if not path.is_file():
        return None
    return json.loads(path.read_text())
