"""The readers behind the gates, on hand-written files: landing lines parsed like the
Spark ingest, the reconciliation report, the manifest's volume band, offline Data Docs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from retail_kpi import schemas
from retail_kpi.config import Settings
from retail_kpi.quality import docs, frames, landing
from retail_kpi.quality.policy import GateResult, Outcome
from retail_kpi.quality.silver import reconciliation_frame

DAY = dt.date(2026, 1, 5)


def settings(tmp: Path) -> Settings:
    return Settings("postgresql://unused", tmp, tmp / "landing", tmp / "lake", "local[1]",
                    42, 1, 1, 1)  # fmt: skip


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_landing_keeps_every_physical_line_and_flags_the_broken_ones(tmp_path: Path) -> None:
    s = settings(tmp_path)
    header = ",".join(schemas.column_names("fx_rates"))
    lines = [
        header,
        "2026-01-05,USD,1",
        '2026-01-05,"CAD",0.73',  # quoted field: fine
        '2026-01-05,"EUR,1.09',  # broken quoting: would swallow the rest in a CSV parser
        "2026-01-05,MXN",  # wrong field count
        "2026-01-05,USD,1.0",
    ]
    raw = ("\n".join(lines) + "\n").encode() + b"2026-01-05,\xff\xfe,1\n"  # bad bytes
    write(tmp_path / "landing/fx_rates/dt=2026-01-05/fx_rates.csv", raw)

    frame, _ = frames.read_landing(s, "fx_rates", DAY)

    assert len(frame) == 6
    assert list(frame.columns) == [*schemas.column_names("fx_rates"), frames.PARSE_ERROR]
    assert frame["currency"].tolist()[:3] == ["USD", "CAD", "USD"]
    assert sorted(frame[frames.PARSE_ERROR].dropna()) == [
        "undecodable bytes",
        "wrong field count or broken quoting",
        "wrong field count or broken quoting",
    ]


def test_landing_record_with_a_bare_carriage_return_is_one_row(tmp_path: Path) -> None:
    """Only a line feed ends a record, as in the Spark ingest (CRLF endings included)."""
    header = ",".join(schemas.column_names("fx_rates")).encode()
    raw = header + b'\r\n2026-01-05,U\rSD,1\r\n2026-01-05,"C\rAD",0.73\r\n2026-01-05,EUR,1.1\r\n'
    write(tmp_path / "landing/fx_rates/dt=2026-01-05/fx_rates.csv", raw)

    frame, _ = frames.read_landing(settings(tmp_path), "fx_rates", DAY)

    assert frame["usd_per_unit"].tolist() == ["1", "0.73", "1.1"]
    assert frame[frames.PARSE_ERROR].isna().all()


def test_missing_landing_file_is_an_empty_frame_with_contract_columns(tmp_path: Path) -> None:
    frame, where = frames.read_landing(settings(tmp_path), "orders", DAY)
    assert frame.empty and where.endswith("orders/dt=2026-01-05")
    assert list(frame.columns) == [*schemas.column_names("orders"), frames.PARSE_ERROR]


def test_interval_manifests_are_summed_and_banded(tmp_path: Path) -> None:
    s = settings(tmp_path)
    base = tmp_path / "landing/_manifest/dt=2026-01-05"
    write(base / "interval=1000/manifest.json", json.dumps({"counts": {"orders": 60}}).encode())
    write(base / "interval=1030/manifest.json", json.dumps({"counts": {"orders": 40}}).encode())
    assert landing.manifest_counts(s, DAY) == {"orders": 100}
    assert landing.row_band(100) == (99, 101)
    assert landing.row_band(None) == (1, None)


def test_reconciliation_frame_computes_unaccounted_rows() -> None:
    doc = {"entities": {"orders": {"entity": "orders", "rows_in": 10, "rows_bronze": 10,
                                   "rows_clean": 7, "rows_quarantined": 1,
                                   "rows_deduplicated": 1}}}  # fmt: skip
    row = reconciliation_frame(doc).iloc[0]
    assert (row["rows_unaccounted"], row["bronze_gap"], row["quarantine_rate"]) == (1, 0, 0.1)
    assert reconciliation_frame(None).empty


def test_offline_page_has_no_remote_assets(tmp_path: Path) -> None:
    page = write(
        tmp_path / "p.html",
        b'<html><head><link rel="stylesheet" href="https://cdn.x/b.css"/>'
        b'<script src="https://code.jquery.com/j.js"></script>'
        b"<style>.a{background:url('https://s3.x/logo.png') 0 0}</style></head>"
        b'<body><img src="https://s3.x/i.png"><p>kept</p></body></html>',
    )
    docs._offline(page)
    text = page.read_text()
    assert "https://" not in text
    assert "<p>kept</p>" in text and "data-offline" in text


def test_index_lists_newest_first_with_status(tmp_path: Path) -> None:
    s = settings(tmp_path)
    ok = Outcome("silver_orders", "e", "c", "blocking", True, "0", 0)
    bad = Outcome("silver_order_items", "e", "c", "blocking", False, "1", 1)
    first = GateResult("silver", DAY, "r1", (ok,), "", {})
    second = GateResult("silver", DAY, "r2", (ok, bad), "", {})
    docs.record_run(s, first, "2026-01-05T10:00:00+00:00")
    index = docs.record_run(s, second, "2026-01-05T11:00:00+00:00")
    text = index.read_text()
    assert text.index("r2") < text.index("r1")
    assert "FAILED (1 blocking)" in text and "<script" not in text
    assert len((s.lake_dir / "_data_docs" / docs.LEDGER).read_text().splitlines()) == 3
