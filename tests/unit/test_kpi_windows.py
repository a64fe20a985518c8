"""The incremental rules in plain Python: which dates a run touches, recomputes and reads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from retail_kpi.kpi import windows as w

D = dt.date


def span(a: dt.date, b: dt.date) -> set[dt.date]:
    return {a + dt.timedelta(days=i) for i in range((b - a).days + 1)}


def test_touched_days_from_ingest_folders(tmp_path: Path):
    silver = tmp_path / "silver"
    (silver / "orders/dt=2024-03-01/ingest_dt=2024-03-01").mkdir(parents=True)
    (silver / "orders/dt=2024-03-01/ingest_dt=2024-03-03").mkdir(parents=True)
    (silver / "returns/dt=2024-02-27/ingest_dt=2024-03-03").mkdir(parents=True)
    (silver / "orders/dt=2024-03-03/ingest_dt=2024-03-03").mkdir(parents=True)
    (silver / "orders/dt=garbage").mkdir(parents=True)
    assert w.touched_days(silver, D(2024, 3, 3)) == {D(2024, 3, 3), D(2024, 3, 1), D(2024, 2, 27)}
    assert w.touched_days(silver, D(2024, 3, 1)) == {D(2024, 3, 1)}
    assert w.available_days(silver) == {D(2024, 3, 1), D(2024, 3, 3), D(2024, 2, 27)}


def test_daily_run_without_late_rows_recomputes_its_day_only():
    avail = span(D(2024, 1, 1), D(2024, 3, 10))
    assert w.recompute_days({D(2024, 3, 10)}, avail, D(2024, 3, 10)) == [D(2024, 3, 10)]


def test_late_row_recomputes_up_to_run_date():
    avail = span(D(2024, 1, 1), D(2024, 3, 10))
    got = w.recompute_days({D(2024, 3, 10), D(2024, 3, 7)}, avail, D(2024, 3, 10))
    assert got == sorted(span(D(2024, 3, 7), D(2024, 3, 10)))


def test_rerun_of_old_date_reaches_its_growth_windows():
    """Rerunning 2024-01-05 while later days exist refreshes D+1..D+27 and D+364."""
    avail = span(D(2024, 1, 1), D(2024, 3, 10)) | {D(2025, 1, 3)}
    got = set(w.recompute_days({D(2024, 1, 5)}, avail, D(2024, 1, 5)))
    assert got == span(D(2024, 1, 5), D(2024, 2, 1)) | {D(2025, 1, 3)}


def test_months_include_growth_dependents():
    avail = span(D(2024, 1, 1), D(2024, 3, 10)) | {D(2025, 1, 9)}
    touched = {D(2024, 1, 9)}
    days = w.recompute_days(touched, avail, D(2024, 1, 9))
    assert w.recompute_months(touched, days, avail) == [
        D(2024, 1, 1),
        D(2024, 2, 1),
        D(2025, 1, 1),
    ]


def test_input_days_cover_windows_and_months():
    avail = span(D(2023, 1, 1), D(2024, 3, 10))
    got = set(w.input_days([D(2024, 3, 10)], [D(2024, 3, 1)], avail))
    assert span(D(2024, 2, 12), D(2024, 3, 10)) <= got  # 28-day and 14-day windows
    assert D(2023, 3, 12) in got  # 364 days earlier
    assert span(D(2024, 2, 1), D(2024, 2, 29)) <= got  # previous month, whole
    assert span(D(2023, 3, 1), D(2023, 3, 31)) <= got  # same month last year


def test_day_windows_complete_only_when_every_day_is_in_the_lake():
    avail = span(D(2024, 1, 1), D(2024, 1, 20)) - {D(2024, 1, 10)}
    members, complete = w.day_windows([D(2024, 1, 20), D(2024, 1, 12)], avail)
    assert complete[(D(2024, 1, 20), "prev_day")] is True
    assert complete[(D(2024, 1, 20), "cur_7d")] is True  # 14..20
    assert complete[(D(2024, 1, 20), "prev_7d")] is False  # 7..13 lacks the 10th
    assert complete[(D(2024, 1, 12), "prev_year")] is False
    assert (D(2024, 1, 20), "cur_7d", D(2024, 1, 14)) in members
    assert not [m for m in members if m[1] == "prev_7d" and m[0] == D(2024, 1, 20)]


def test_month_windows_compare_the_same_days():
    avail = span(D(2024, 1, 1), D(2024, 3, 5))
    members, complete, days = w.month_windows([D(2024, 3, 1), D(2024, 2, 1)], avail, avail)
    assert days == {D(2024, 3, 1): 5, D(2024, 2, 1): 29}
    march_prev = sorted(s for t, b, s in members if t == D(2024, 3, 1) and b == "prev_month")
    assert march_prev == sorted(span(D(2024, 2, 1), D(2024, 2, 5)))
    feb_prev = [s for t, b, s in members if t == D(2024, 2, 1) and b == "prev_month"]
    assert len(feb_prev) == 29  # Jan 1..29 for a complete February
    assert complete[(D(2024, 3, 1), "prev_year")] is False


def test_month_window_clamps_to_shorter_prior_month():
    avail = span(D(2024, 1, 1), D(2024, 3, 31))
    members, complete, _ = w.month_windows([D(2024, 3, 1)], avail, avail)
    prev = [s for t, b, s in members if b == "prev_month"]
    assert len(prev) == 29 and complete[(D(2024, 3, 1), "prev_month")]


def land_orders(silver: Path, day: dt.date, landed: dt.date) -> None:
    """The silver leaf of orders of business day ``day`` landed on ``landed``."""
    (silver / f"orders/dt={day.isoformat()}/ingest_dt={landed.isoformat()}").mkdir(parents=True)


def test_a_day_is_complete_only_with_its_own_landing(tmp_path: Path):
    silver = tmp_path / "silver"
    land_orders(silver, D(2024, 2, 29), D(2024, 3, 1))  # late rows only
    land_orders(silver, D(2024, 3, 1), D(2024, 3, 1))
    land_orders(silver, D(2024, 3, 1), D(2024, 3, 2))  # and late rows on top: still complete
    (silver / "returns/dt=2024-02-28/ingest_dt=2024-02-28").mkdir(parents=True)  # no orders
    assert w.available_days(silver) == {D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1)}
    assert w.complete_days(silver) == {D(2024, 3, 1)}


def test_prior_day_of_late_rows_only_leaves_its_windows_incomplete(tmp_path: Path):
    """Orders landed on time 2024-02-15..28 and 03-01; 02-29 is in the lake only through
    rows landed on 03-01. For target 03-01: prev_day is 02-29, cur_7d 02-24..03-01 holds
    it, prev_7d 02-17..23 does not. Once 02-29 has its own landing, all three are complete."""
    silver = tmp_path / "silver"
    for day in span(D(2024, 2, 15), D(2024, 2, 28)) | {D(2024, 3, 1)}:
        land_orders(silver, day, day)
    land_orders(silver, D(2024, 2, 29), D(2024, 3, 1))
    plan = w.make_plan(silver, D(2024, 3, 1))
    assert D(2024, 2, 29) in plan.available and D(2024, 2, 29) not in plan.complete
    assert plan.days == (D(2024, 2, 29), D(2024, 3, 1))  # still computed, from what it has
    members, flags = w.day_windows([D(2024, 3, 1)], set(plan.complete))
    assert flags[(D(2024, 3, 1), "prev_day")] is False
    assert flags[(D(2024, 3, 1), "cur_7d")] is False
    assert flags[(D(2024, 3, 1), "prev_7d")] is True
    assert not [m for m in members if m[1] in ("prev_day", "cur_7d")]

    land_orders(silver, D(2024, 2, 29), D(2024, 2, 29))
    plan = w.make_plan(silver, D(2024, 3, 1))
    members, flags = w.day_windows([D(2024, 3, 1)], set(plan.complete))
    assert flags[(D(2024, 3, 1), "prev_day")] is True
    assert flags[(D(2024, 3, 1), "cur_7d")] is True
    assert (D(2024, 3, 1), "prev_day", D(2024, 2, 29)) in members


def test_prior_month_with_a_day_of_late_rows_only_is_incomplete():
    """March has data to the 5th, so it is compared with February 1..5. February 3rd in
    the lake through late rows only makes that window incomplete; with its own landing the
    window is complete (5 member days). March's own days still count every day in the lake."""
    avail = span(D(2024, 2, 1), D(2024, 3, 5))
    partial = avail - {D(2024, 2, 3)}
    members, flags, days = w.month_windows([D(2024, 3, 1)], avail, partial)
    assert flags[(D(2024, 3, 1), "prev_month")] is False
    assert not [m for m in members if m[1] == "prev_month"]
    assert days == {D(2024, 3, 1): 5}

    members, flags, _ = w.month_windows([D(2024, 3, 1)], avail, avail)
    assert flags[(D(2024, 3, 1), "prev_month")] is True
    prev = sorted(s for _, b, s in members if b == "prev_month")
    assert prev == sorted(span(D(2024, 2, 1), D(2024, 2, 5)))

    last_day_late = avail - {D(2024, 3, 5)}  # March's last day is in the lake, not complete
    members, flags, days = w.month_windows([D(2024, 3, 1)], avail, last_day_late)
    assert days == {D(2024, 3, 1): 5} and flags[(D(2024, 3, 1), "prev_month")] is True


def test_add_months_and_snapshots():
    assert w.add_months(D(2024, 1, 1), -1) == D(2023, 12, 1)
    assert w.add_months(D(2024, 11, 1), 14) == D(2026, 1, 1)
    snaps = [D(2024, 1, 5), D(2024, 1, 1)]
    assert w.latest_snapshot(D(2024, 1, 4), snaps) == D(2024, 1, 1)
    assert w.latest_snapshot(D(2023, 12, 1), snaps) == D(2024, 1, 1)
    assert w.latest_snapshot(D(2024, 1, 9), []) is None


def test_days_a_bulk_history_drop_held_whole_are_complete(tmp_path: Path):
    """A drop landed on 03-05 declaring 03-01..03-04 whole: those days count, as does 03-05
    (its own landing); 02-28, late rows of the same drop outside its window, does not; a
    declared day with no orders in silver is not a day of the lake at all."""
    lake = tmp_path / "lake"
    silver = lake / "silver"
    landed = D(2024, 3, 5)
    for day in [D(2024, 2, 28), *span(D(2024, 3, 1), D(2024, 3, 3)), landed]:
        land_orders(silver, day, landed)
    report = lake / "_audit/clean/dt=2024-03-05/reconciliation.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"history": {"from": "2024-03-01", "to": "2024-03-04"}}))
    other = lake / "_audit/clean/dt=2024-03-06/reconciliation.json"  # an ordinary run
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"landing_date": "2024-03-06"}))
    assert w.history_days(lake) == set(span(D(2024, 3, 1), D(2024, 3, 4)))
    assert w.complete_days(silver) == {D(2024, 3, 1), D(2024, 3, 2), D(2024, 3, 3), landed}
