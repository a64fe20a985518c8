"""The landing contract (retail_kpi/landing.py): which files count, the done-marker."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from retail_kpi import landing
from retail_kpi.landing import LandingError

DAY = dt.date(2026, 2, 3)
D = "dt=2026-02-03"


def test_mixed_formats_both_count_with_their_format():
    found = {
        f"orders/{D}/orders.csv": 100,
        f"orders/{D}/late.jsonl": 40,
        f"orders/{D}/interval=1030/orders.jsonl": 7,
        f"customers/{D}/customers.csv": 9,
    }
    sel = landing.select(found, DAY).check()
    assert sel.files["orders"] == [
        (f"orders/{D}/interval=1030/orders.jsonl", "jsonl"),
        (f"orders/{D}/late.jsonl", "jsonl"),
        (f"orders/{D}/orders.csv", "csv"),
    ]
    assert sel.files["customers"] == [(f"customers/{D}/customers.csv", "csv")]
    assert sel.files["returns"] == []
    assert sel.counts()["orders"] == 3


def test_unknown_file_in_an_entity_folder_fails_naming_it():
    found = {f"orders/{D}/orders.csv": 1, f"orders/{D}/notes.txt": 1}
    sel = landing.select(found, DAY)
    assert sel.files["orders"] == [(f"orders/{D}/orders.csv", "csv")]
    with pytest.raises(LandingError, match=rf"unexpected file orders/{D}/notes.txt"):
        sel.check()


@pytest.mark.parametrize(
    "rel",
    [f"orders/{D}/sub/orders.csv", f"orders/{D}/_orders.csv", f"orders/{D}/orders.csv.gz"],
)
def test_nested_reserved_or_compressed_files_are_problems(rel):
    assert landing.select({rel: 1}, DAY).problems and not landing.select({rel: 1}, DAY).counted()


def test_hidden_and_done_marker_files_are_ignored_but_logged(caplog):
    found = {
        f"orders/{D}/orders.csv": 1,
        f"orders/{D}/.orders.csv.tmp": 1,
        f"orders/{D}/.tmp-1/orders.csv": 1,
        f"orders/{D}/_SUCCESS": 0,
    }
    with caplog.at_level(logging.INFO, logger="retail_kpi.landing"):
        sel = landing.select(found, DAY).check()
    assert sel.counted() == [f"orders/{D}/orders.csv"]
    assert len(sel.ignored) == 3
    assert ".orders.csv.tmp" in caplog.text and "_SUCCESS" in caplog.text


def test_unknown_folders_are_logged_as_warnings_and_reserved_ones_are_not(caplog):
    found = {
        f"orders/{D}/orders.csv": 1,
        f"ordres/{D}/orders.csv": 1,
        f"_manifest/{D}/manifest.json": 1,
    }
    with caplog.at_level(logging.WARNING, logger="retail_kpi.landing"):
        sel = landing.select(found, DAY, folders=["orders", "ordres", "_ready", "misc"]).check()
    assert sel.unknown_folders == ["misc", "ordres"]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "misc, ordres" in warned[0].getMessage()
    assert "_ready" not in warned[0].getMessage() and "_manifest" not in warned[0].getMessage()
    assert sel.counted() == [f"orders/{D}/orders.csv"]


def test_other_dates_are_not_this_dates_files():
    sel = landing.select({"orders/dt=2026-02-02/orders.csv": 1}, DAY).check()
    assert sel.counted() == []


def test_marker_listing_a_missing_or_truncated_file_fails_naming_it():
    found = {f"orders/{D}/orders.csv": 90, f"fx_rates/{D}/fx_rates.csv": 50}
    marker = {
        "date": "2026-02-03",
        "files": {
            f"orders/{D}/orders.csv": 100,
            f"fx_rates/{D}/fx_rates.csv": 50,
            f"returns/{D}/returns.csv": 10,
        },
    }
    with pytest.raises(LandingError) as err:
        landing.select(found, DAY, marker=marker).check()
    text = str(err.value)
    assert f"missing: returns/{D}/returns.csv" in text
    assert f"differs from the done-marker: orders/{D}/orders.csv (90 of 100 bytes)" in text
    assert "fx_rates" not in text


def test_a_file_the_marker_does_not_list_fails_and_an_empty_list_checks_nothing():
    found = {f"orders/{D}/orders.csv": 1, f"orders/{D}/extra.jsonl": 2}
    marker = {"files": {f"orders/{D}/orders.csv": 1}}
    with pytest.raises(LandingError, match=rf"not listed in the done-marker: orders/{D}/extra"):
        landing.select(found, DAY, marker=marker).check()
    assert landing.select(found, DAY, marker={"date": "2026-02-03"}).check().problems == []


def test_marker_round_trip_atomic_and_replaced(tmp_path: Path):
    assert landing.read_marker(tmp_path, DAY) is None
    path = landing.write_marker(tmp_path, DAY, {f"orders/{D}/orders.csv": 3})
    assert path == tmp_path / "_ready" / "dt=2026-02-03.json"
    landing.write_marker(tmp_path, DAY, {f"orders/{D}/orders.csv": 5})
    assert json.loads(path.read_text()) == {
        "date": "2026-02-03",
        "files": {f"orders/{D}/orders.csv": 5},
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_a_marker_that_is_not_json_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "_ready" / "dt=2026-02-03.json"
    path.parent.mkdir()
    path.write_text("{half")
    with pytest.raises(LandingError, match="is not a JSON object with a 'files' object"):
        landing.read_marker(tmp_path, DAY)


def test_select_local_checks_the_files_on_disk_against_the_marker(tmp_path: Path):
    orders = tmp_path / "orders" / D
    orders.mkdir(parents=True)
    (orders / "orders.csv").write_text("a\n")
    (tmp_path / "stray").mkdir()
    landing.write_marker(tmp_path, DAY, landing.written_files(tmp_path, DAY))
    assert landing.select_local(tmp_path, DAY).check().sizes == {f"orders/{D}/orders.csv": 2}
    (orders / "orders.csv").write_text("a")  # truncated after the marker
    with pytest.raises(LandingError, match=rf"orders/{D}/orders.csv \(1 of 2 bytes\)"):
        landing.select_local(tmp_path, DAY).check()


def test_the_generator_writes_the_marker_last_for_a_whole_day_only(tmp_path: Path):
    from simulator import DefectRates, generate_day

    small = {"orders": 400, "customers": 50, "products": 10, "defects": DefectRates.none()}
    t0 = dt.datetime(2026, 2, 3, 18, 0)
    generate_day(DAY, tmp_path, interval=(t0, t0 + dt.timedelta(minutes=10)), **small)
    assert landing.read_marker(tmp_path, DAY) is None  # an interval does not complete a day
    generate_day(DAY, tmp_path, fmt="jsonl", **small)
    marker = landing.read_marker(tmp_path, DAY)
    assert marker is not None and marker["date"] == "2026-02-03"
    assert sorted(marker["files"]) == sorted(f"{e}/{D}/{e}.jsonl" for e in landing.ENTITIES)
    ready = tmp_path / landing.ready_relpath(DAY)
    newest_data = max((tmp_path / p).stat().st_mtime_ns for p in marker["files"])
    assert ready.stat().st_mtime_ns >= newest_data
    assert landing.select_local(tmp_path, DAY).check().counts()["orders"] == 1


def test_a_bulk_drops_marker_declares_the_days_it_holds_whole(tmp_path):
    files = {f"orders/{D}/orders-2026-01-30.csv": 5, f"orders/{D}/orders-2026-02-03.csv": 7}
    for rel, size in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * size)
    landing.write_marker(tmp_path, DAY, files, history=(dt.date(2026, 1, 30), DAY))
    marker = landing.read_marker(tmp_path, DAY)
    assert marker == {
        "date": "2026-02-03",
        "files": files,
        "history": {"from": "2026-01-30", "to": "2026-02-03"},
    }
    sel = landing.select(files, DAY, marker=marker).check()
    assert sel.history == (dt.date(2026, 1, 30), DAY)
    assert landing.select(files, DAY, marker={"files": files}).check().history is None


@pytest.mark.parametrize(
    "history",
    [
        {"from": "2026-02-01", "to": "2026-02-04"},  # ends after the landing date
        {"from": "2026-02-02", "to": "2026-02-01"},  # ends before it starts
        {"from": "Feb 1"},
        "2026-02-01..2026-02-03",
    ],
)
def test_a_malformed_history_window_stops_the_date_naming_the_marker(history):
    marker = {"date": "2026-02-03", "files": {}, "history": history}
    with pytest.raises(
        LandingError, match=r"done-marker _ready/dt=2026-02-03\.json has a 'history'"
    ):
        landing.select({}, DAY, marker=marker).check()
