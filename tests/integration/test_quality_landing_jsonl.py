"""Landing gate on JSON lines: a generated JSON-lines day passes, and a folder mixing CSV
and JSON lines is read whole. Malformed JSON lines (undecodable bytes, an extra or a
missing key) are one malformed row each, never extra columns.

Expected counts are counted from the files here (lines), not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from retail_kpi import landing, schemas
from retail_kpi.config import REPO_ROOT, Settings
from retail_kpi.quality import run_gate
from retail_kpi.quality.frames import PARSE_ERROR, read_landing
from retail_kpi.quality.landing import batches
from tests.integration import quality_data as qd

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 2, 4)
SMALL = ["--orders", "300", "--customers", "200", "--products", "40", "--seed", "7", "-q"]


@pytest.fixture(scope="module")
def warehouse(make_database) -> str:
    from retail_kpi.warehouse.migrate import migrate

    url = make_database("rk_gx_test_landing_jsonl")
    migrate(url)
    return url


def _generate(out: Path, fmt: str, *extra: str) -> None:
    """The upstream simulator, as an operator runs it."""
    cmd = [sys.executable, "-m", "simulator", "generate", "--date", DAY.isoformat()]
    subprocess.run(
        [*cmd, "--out", str(out), "--format", fmt, *SMALL, *extra],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )


def _lines(path: Path, header: bool) -> int:
    return path.read_bytes().count(b"\n") - (1 if header else 0)


def test_the_reader_makes_a_malformed_json_line_one_row(tmp_path: Path) -> None:
    s = qd.settings_for(tmp_path, "postgresql://unused")
    folder = s.landing_dir / "fx_rates" / f"dt={DAY.isoformat()}"
    folder.mkdir(parents=True)
    (folder / "fx_rates.jsonl").write_bytes(
        b'{"rate_date":"2026-02-04","currency":"USD","usd_per_unit":"1"}\n'
        b'{"rate_date":"2026-02-04","currency":"CAD","usd_per_unit":"0.7","extra":"x"}\n'
        b'{"rate_date":"2026-02-04","currency":"EUR"}\n'
        b'{"rate_date":"2026-02-04","cur\xffrency":"MXN","usd_per_unit":"0.05"}\n'
        b'{"rate_date":"2026-02-04","currency":"EUR,"usd_per_unit":"1.1"}\n'
        b'{"usd_per_unit":null,"currency":"MXN","rate_date":"2026-02-04"}\n'
    )
    frame, _ = read_landing(s, "fx_rates", DAY)
    assert list(frame.columns) == [*schemas.column_names("fx_rates"), PARSE_ERROR]
    assert frame["currency"].tolist()[0] == "USD" and frame["currency"].tolist()[5] == "MXN"
    assert frame[PARSE_ERROR].fillna("").tolist() == [
        "",
        "wrong field count",
        "wrong field count",
        "undecodable bytes",
        "not a JSON object",
        "",
    ]


def test_a_generated_json_lines_day_passes_the_gate(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    # the default defect rates, scaled up so this small day surely has non-UTF-8 bytes
    # and extra keys
    _generate(s.landing_dir, "jsonl", "--rate", "non_utf8=0.02", "--rate", "wrong_field_count=0.02")
    result = run_gate("landing", DAY, run_id="land-jsonl", settings=s)
    assert result.success
    orders = s.landing_dir / "orders" / f"dt={DAY.isoformat()}" / "orders.jsonl"
    frame, _ = read_landing(s, "orders", DAY)
    assert len(frame) == _lines(orders, header=False)
    assert list(frame.columns) == [*schemas.column_names("orders"), PARSE_ERROR]
    assert frame[PARSE_ERROR].notna().sum() > 0  # the injected line defects, as rows


def _mixed_day(tmp_path: Path, s: Settings) -> tuple[Path, Path]:
    """A generated CSV day plus a JSON-lines orders file beside orders.csv; the manifest
    and the done-marker are updated as the source would when it drops both."""
    _generate(s.landing_dir, "csv")
    _generate(tmp_path / "other", "jsonl", "--seed", "8")
    folder = s.landing_dir / "orders" / f"dt={DAY.isoformat()}"
    extra = folder / "orders-app.jsonl"
    extra.write_bytes((tmp_path / "other" / "orders" / folder.name / "orders.jsonl").read_bytes())
    csv_lines, jsonl_lines = _lines(folder / "orders.csv", True), _lines(extra, False)
    manifest_path = s.landing_dir / "_manifest" / f"dt={DAY.isoformat()}" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    counts = {**manifest["counts"], "orders": csv_lines + jsonl_lines}
    qd.write_manifest(s, counts, day=DAY)
    landing.write_marker(s.landing_dir, DAY, landing.written_files(s.landing_dir, DAY))
    return folder / "orders.csv", extra


def test_a_mixed_csv_and_json_lines_folder_is_read_whole(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    csv_path, jsonl_path = _mixed_day(tmp_path, s)
    expected = _lines(csv_path, header=True) + _lines(jsonl_path, header=False)
    orders = next(b for b in batches(s, DAY) if b.suite == "landing_orders")
    assert orders.frame is not None and len(orders.frame) == expected
    result = run_gate("landing", DAY, run_id="land-mixed", settings=s)
    assert result.success


def test_an_unknown_file_fails_the_gate_naming_it(tmp_path: Path, warehouse: str) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    _generate(s.landing_dir, "csv")
    notes = s.landing_dir / "orders" / f"dt={DAY.isoformat()}" / "notes.txt"
    notes.write_text("10 orders were late\n")
    with pytest.raises(landing.LandingError, match=r"unexpected file orders/dt=2026-02-04/notes"):
        run_gate("landing", DAY, run_id="land-notes", settings=s)
