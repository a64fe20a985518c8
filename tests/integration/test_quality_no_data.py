"""``python -m retail_kpi validate <layer> --date D`` on a date the layer has no data for.

Every lake layer holds one day (DAY) of the hand-written data of ``quality_data``; the
command asks for the day after. It must say so in one sentence (layer, date, where it
looked, what to do) with exit status 1, before Great Expectations runs, and record
nothing in ``audit.validation_result`` (real Postgres). Messages are written out by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import psycopg
import pytest

from retail_kpi import cli
from tests.integration import quality_data as qd

pytestmark = pytest.mark.integration

EMPTY = qd.DAY + dt.timedelta(days=1)  # 2026-01-06


@pytest.fixture(scope="module")
def warehouse(make_database) -> str:
    from retail_kpi.warehouse.migrate import migrate

    url = make_database("rk_gx_test_no_data")
    migrate(url)
    return url


def _expected(layer: str, root: Path) -> str:
    lake = root / "lake"
    return {
        "landing": f"no landing data for 2026-01-06 in {root}/landing/<entity>/dt=2026-01-06; "
        "land the date's files with their done-marker, or let the micro-batches ingest its "
        "Kafka messages (a Kafka-fed date has no landing files: the clean job checks each "
        "message)",
        "silver": f"no silver data for 2026-01-06 in {lake}/silver/<entity>/dt=*/"
        "ingest_dt=2026-01-06; run the clean task for that date first",
        "kpi": f"no kpi data for 2026-01-06 in {lake}/kpi (no _touched/dt=2026-01-06.json); "
        "run the KPI task for that date first",
        "warehouse": "no warehouse data for 2026-01-06 in audit.run_audit (no successful load "
        "of that date); run the load task for that date first",
    }[layer]


def _audit_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        (rows,) = conn.execute("select count(*) from audit.validation_result").fetchone()
    return rows


@pytest.mark.parametrize("layer", ["landing", "silver", "kpi", "warehouse"])
def test_a_date_without_data_is_one_sentence_and_no_audit_rows(
    layer: str, tmp_path: Path, warehouse: str, monkeypatch, caplog
) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_landing(s)
    qd.write_clean_silver(s)
    qd.write_kpis(s, qd.kpi_rows())
    monkeypatch.setenv("RETAIL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URL", warehouse)
    for name in ("RETAIL_LANDING_DIR", "RETAIL_LAKE_DIR"):
        monkeypatch.delenv(name, raising=False)

    before = _audit_rows(warehouse)
    with caplog.at_level(logging.ERROR):
        code = cli.main(["validate", layer, "--date", EMPTY.isoformat()])

    assert code == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [_expected(layer, tmp_path.resolve())]
    assert _audit_rows(warehouse) == before
    assert not (tmp_path / "lake" / "_audit" / "gx_results").exists()  # GX never ran


def test_the_same_gate_runs_on_the_date_that_has_data(
    tmp_path: Path, warehouse: str, monkeypatch, caplog
) -> None:
    s = qd.settings_for(tmp_path, warehouse)
    qd.write_clean_silver(s)
    monkeypatch.setenv("RETAIL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URL", warehouse)
    for name in ("RETAIL_LANDING_DIR", "RETAIL_LAKE_DIR"):
        monkeypatch.delenv(name, raising=False)

    before = _audit_rows(warehouse)
    code = cli.main(["validate", "silver", "--date", qd.DAY.isoformat()])

    assert code == 0
    assert _audit_rows(warehouse) > before
