"""Ingest: every landing line is kept, numbered and either parsed or flagged malformed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual

from spark_jobs.ingest import LandingError, ingest_entity, line_pattern
from tests.unit.clean_support import DAY, write_landing

FX = "fx_rates"  # three columns: rate_date, currency, usd_per_unit


def _ingest(spark: SparkSession, path: Path):
    return ingest_entity(spark, [str(path)], FX)


def test_malformed_lines_are_caught_whole_never_padded(spark: SparkSession, tmp_path: Path) -> None:
    path = write_landing(
        tmp_path,
        FX,
        DAY,
        [
            "2026-03-10,USD,1",
            '2026-03-10,"E,UR",1.1',  # quoted comma: three fields
            '2026-03-10,"Q""Q",2',  # doubled quote inside a quoted field
            "2026-03-10,CAD",  # one field short: Spark's CSV reader would pad a NULL
            "2026-03-10,CAD,0.75,extra",  # one too many: Spark would drop "extra"
            '2026-03-10,"CAD,0.75',  # quote never closed
            b"2026-03-10,M\xffXN,0.05",  # not UTF-8
            "",  # blank line
            " 2026-03-10 , MXN ,0.05",  # spaces are kept for clean to trim
        ],
    )
    bronze, rows_in = _ingest(spark, path)
    assert rows_in == 9
    got = bronze.select("rate_date", "currency", "usd_per_unit", "_source_line", "_parse_error")
    short = "wrong field count: expected 3 fields"
    expected = [
        Row("2026-03-10", "USD", "1", 2, None),
        Row("2026-03-10", "E,UR", "1.1", 3, None),
        Row("2026-03-10", 'Q"Q', "2", 4, None),
        Row(None, None, None, 5, short),
        Row(None, None, None, 6, short),
        Row(None, None, None, 7, "broken quoting: unbalanced double quote"),
        Row(None, None, None, 8, "undecodable bytes: the line is not valid UTF-8"),
        Row(None, None, None, 9, short),
        Row(" 2026-03-10 ", " MXN ", "0.05", 10, None),
    ]
    assertDataFrameEqual(got, expected)
    raws = {r._source_line: r._raw for r in bronze.collect()}
    assert raws[6] == "2026-03-10,CAD,0.75,extra" and raws[8] == "2026-03-10,M\ufffdXN,0.05"
    assert {r._source_file for r in bronze.collect()} == {f"{FX}/dt={DAY}/{FX}.csv"}


def test_only_a_line_feed_ends_a_record(spark: SparkSession, tmp_path: Path) -> None:
    """A bare CR inside a field stays in its record (it used to split it in two malformed
    fragments); CRLF endings are read as LF; a last line without a newline counts."""
    path = tmp_path / FX / f"dt={DAY}" / f"{FX}.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        b"rate_date,currency,usd_per_unit\r\n"
        b"2026-03-10,U\rSD,1\r\n"
        b'2026-03-10,"C\rAD",0.75\r\n'
        b"2026-03-10,EUR,1.1"
    )
    bronze, rows_in = _ingest(spark, path)
    assert rows_in == 3
    got = bronze.select("currency", "usd_per_unit", "_source_line", "_parse_error", "_raw")
    expected = [
        Row("U\rSD", "1", 2, None, "2026-03-10,U\rSD,1"),
        Row("C\rAD", "0.75", 3, None, '2026-03-10,"C\rAD",0.75'),
        Row("EUR", "1.1", 4, None, "2026-03-10,EUR,1.1"),
    ]
    assertDataFrameEqual(got, expected)


def test_line_numbers_survive_file_splits(spark: SparkSession, tmp_path: Path) -> None:
    rows = [[DAY, f"C{i:03d}", str(i)] for i in range(200)]
    path = write_landing(tmp_path, FX, DAY, rows)
    old = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "512")  # ~25 splits
    try:
        bronze, rows_in = _ingest(spark, path)
        got = {(r.currency, r._source_line) for r in bronze.collect()}
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", old)
    assert rows_in == 200
    assert got == {(f"C{i:03d}", i + 2) for i in range(200)}


def test_wrong_header_stops_with_one_sentence(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "fx_rates.csv"
    path.write_text("currency,rate_date,usd_per_unit\nUSD,2026-03-10,1\n")
    with pytest.raises(LandingError, match=r"do not start with the fx_rates header"):
        _ingest(spark, path)


def _python_fields(line: str) -> list[str] | None:
    """Independent oracle: Python's csv module in strict mode (None when it rejects)."""
    try:
        rows = list(csv.reader(io.StringIO(line), strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


FIELD = st.one_of(
    st.text(alphabet="ab ,\"\\'x1.-é", max_size=6),
    st.sampled_from(["USD", "2026-03-10", "", '""', '"a,b"']),
)
LINE = st.one_of(
    st.lists(FIELD, min_size=1, max_size=5).map(lambda fs: ",".join(fs)),
    st.binary(max_size=12).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(LINE, min_size=1, max_size=30))
def test_random_bad_lines_are_never_lost_or_mangled(
    spark: SparkSession, tmp_path: Path, lines: list[str | bytes]
) -> None:
    path = write_landing(tmp_path, FX, DAY, lines)
    bronze, rows_in = _ingest(spark, path)
    rows = sorted(bronze.collect(), key=lambda r: r._source_line)
    assert rows_in == len(lines) and [r._source_line for r in rows] == list(
        range(2, len(lines) + 2)
    )
    for line, row in zip(lines, rows, strict=True):
        if row._parse_error is not None:
            assert row.rate_date is None and row.currency is None and row.usd_per_unit is None
            continue
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        expected = _python_fields(text)
        assert expected is not None and len(expected) == 3, text
        got = [row.rate_date, row.currency, row.usd_per_unit]
        assert [g or "" for g in got] == expected, text


def test_line_pattern_counts_fields_outside_quotes() -> None:
    import re

    pattern = re.compile(line_pattern(3))
    assert pattern.match('a,"b,c",d') and pattern.match(",,")
    assert not pattern.match('a,"b,c') and not pattern.match("a,b") and not pattern.match('a,b"c,d')


def test_json_lines_are_validated_by_their_keys(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / FX / f"dt={DAY}"
    folder.mkdir(parents=True)
    path = folder / f"{FX}.jsonl"
    path.write_bytes(
        b'{"rate_date":"2026-03-10","currency":"USD","usd_per_unit":"1"}\n'
        b'{"rate_date":"2026-03-10","currency":"CAD"}\n'  # a key missing
        b'{"rate_date":"2026-03-10","currency":"CAD","usd_per_unit":"0.7","x":"1"}\n'
        b'{"rate_date":"2026-03-10","currency":"EUR,"usd_per_unit":"1.1"}\n'  # broken quote
        b'{"rate_date":"2026-03-10","currency":"M\xffXN","usd_per_unit":"0.05"}\n'
        b'{"usd_per_unit":null,"currency":"MXN","rate_date":"2026-03-10"}\n'  # any key order
    )
    bronze, rows_in = ingest_entity(spark, [str(path)], FX, "jsonl")
    assert rows_in == 6
    got = bronze.select("currency", "usd_per_unit", "_source_line", "_parse_error")
    wrong = "wrong field count: expected the 3 contract fields"
    expected = [
        Row("USD", "1", 1, None),
        Row(None, None, 2, wrong),
        Row(None, None, 3, wrong),
        Row(None, None, 4, "broken JSON: the line is not a JSON object"),
        Row(None, None, 5, "undecodable bytes: the line is not valid UTF-8"),
        Row("MXN", None, 6, None),
    ]
    assertDataFrameEqual(got, expected)
