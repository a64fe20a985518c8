"""The demo's Kafka part without services: its options, and how the live source is run
next to the first micro-batch (started once the batch is planned, always waited for)."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from retail_kpi import demo
from retail_kpi.config import REPO_ROOT
from retail_kpi.ops import dagrun

DAY = dt.date(2026, 2, 5)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    demo.configure(parser)
    return parser.parse_args(list(argv))


def test_no_kafka_is_an_option_and_off_by_default():
    assert _args().no_kafka is False
    assert _args("--no-kafka", "--days", "1").no_kafka is True


def test_a_kafka_day_not_over_yet_is_refused_before_anything_runs(monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(demo, "run_dates", lambda *a: ran.append("files"))
    today = dt.datetime.now(dt.UTC).date()
    with pytest.raises(SystemExit, match="--no-kafka"):
        demo.run(_args("--start", today.isoformat(), "--days", "0"))
    assert ran == []


def test_by_default_the_files_come_first_and_the_kafka_day_is_yesterday():
    today = dt.date(2026, 12, 5)
    plan = demo.dates(_args(), today)
    assert plan.files == (dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3))
    assert plan.kafka == plan.last == dt.date(2026, 12, 4)
    # 90 days of history before them, one bulk drop landed on its last day (11-30)
    assert plan.history == (dt.date(2026, 9, 2), dt.date(2026, 11, 30)) and plan.first.day == 2
    assert plan.daily == (dt.date(2026, 11, 30), *plan.files)
    assert demo.dates(_args("--history-days", "0"), today).first == dt.date(2026, 12, 1)
    history_only = demo.dates(_args("--days", "0", "--no-kafka"), today)
    assert history_only.daily == (dt.date(2026, 12, 4),) == (history_only.last,)
    files_only = demo.dates(_args("--no-kafka", "--days", "2", "--history-days", "0"), today)
    assert files_only.files == (dt.date(2026, 12, 3), dt.date(2026, 12, 4))
    assert files_only.kafka is None and files_only.first == dt.date(2026, 12, 3)
    chosen = demo.dates(_args("--start", "2026-02-02", "--days", "1"), today)
    assert (chosen.files, chosen.kafka) == ((dt.date(2026, 2, 2),), dt.date(2026, 2, 3))


def test_the_scheduler_goes_on_with_today_after_the_demos_last_run():
    """Airflow's scheduler skips a logical date that already has a run and continues after
    that run's data interval. The demo's last date is the one retail_daily's timetable would
    run now, and ``dagrun`` records the interval the scheduler gives that date, so a ``make
    airflow`` after the demo runs today next: no gap, no rerun, no late run (no deadline
    alert). Expected dates come from Airflow's timetable, not from the demo."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    dag = DagBag(dag_folder=str(REPO_ROOT / "dags" / "retail_daily.py")).dags["retail_daily"]
    timetable = coerce_to_core_timetable(dag.timetable)
    now = TimeRestriction(earliest=dag.start_date, latest=None, catchup=dag.catchup)
    scheduler_first = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=now)
    today = dt.datetime.now(dt.UTC).date()
    assert scheduler_first is not None and scheduler_first.logical_date is not None
    last = demo.dates(_args(), today).last
    assert last == scheduler_first.logical_date.date()
    assert demo.dates(_args("--no-kafka"), today).last == last

    logical = pendulum.datetime(last.year, last.month, last.day, tz="UTC")
    interval = dagrun.scheduled_interval(dag.timetable, logical)
    assert (interval.start, interval.end) == (logical, logical.add(days=1))
    after = timetable.next_dagrun_info(last_automated_data_interval=interval, restriction=now)
    assert after is not None and after.logical_date.date() == today
    # dag.test's own interval for a manual run ends at its logical date: after it, the
    # scheduler would be back on the same date (it retried it every second until midnight)
    manual = timetable.infer_manual_data_interval(run_after=logical)
    stuck = timetable.next_dagrun_info(last_automated_data_interval=manual, restriction=now)
    assert stuck is not None and stuck.logical_date.date() == last


def test_the_simulators_summary_line_is_what_the_demo_quotes(tmp_path):
    log = tmp_path / "produce.log"
    log.write_text(
        "some warning\n"
        "2026-02-05: 1234 messages (8 poison, 12 defects) in 1.2s to 127.0.0.1:1; manifest /x\n"
    )
    assert (
        demo._sent(log) == "2026-02-05: 1234 messages (8 poison, 12 defects) in 1.2s to 127.0.0.1:1"
    )
    log.write_text("nothing\n")
    assert demo._sent(log) == ""


class FakeServices:
    """Airflow and the simulator as short Python processes; the ledger as a counter that
    shows the batch once the run has 'planned' it."""

    def __init__(self, monkeypatch, run_rc: int = 0, source_rc: int = 0) -> None:
        self.started: list[str] = []
        self.polls = 0
        self.run_rc, self.source_rc = run_rc, source_rc
        monkeypatch.setattr(demo, "_spawn", self.spawn)
        monkeypatch.setattr(demo, "_last_batch", self.last_batch)
        monkeypatch.setattr(demo, "_batches_since", lambda before: [(1, 42, [DAY], 27, 9)])
        monkeypatch.setattr(demo, "POLL_S", 0.01)

    def last_batch(self) -> int:
        self.polls += 1
        return 0 if self.polls <= 3 else 1  # the 1st call is the "before"

    def spawn(self, cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        is_run = "airflow" in cmd
        self.started.append(("run" if is_run else "source") + f"@poll{self.polls}")
        rc = self.run_rc if is_run else self.source_rc
        code = f"import time; time.sleep(0.3); print('{DAY}: 7 messages (0 poison'); exit({rc})"
        with log.open("w") as fh:
            return subprocess.Popen([sys.executable, "-c", code], stdout=fh, stderr=fh)


def test_the_background_source_starts_after_the_plan_and_is_waited_for(
    monkeypatch, tmp_path, capsys
):
    fake = FakeServices(monkeypatch)
    logical = dt.datetime(2026, 2, 6, 0, 10, tzinfo=dt.UTC)
    demo._microbatch(1, logical, {}, tmp_path, meanwhile=(DAY, "12:00-00:00"))
    assert fake.started == ["run@poll1", "source@poll4"]  # only once the batch was planned
    out = capsys.readouterr().out
    assert "source: 2026-02-05: 7 messages (0 poison (while micro-batch 1 ran)" in out
    assert "micro-batch 1: 42 messages in batch 1 (27 partition ranges of 9 topics" in out


def test_a_failed_background_source_fails_the_demo(monkeypatch, tmp_path):
    FakeServices(monkeypatch, source_rc=3)
    logical = dt.datetime(2026, 2, 6, 0, 10, tzinfo=dt.UTC)
    with pytest.raises(
        SystemExit, match="background publish of produce-2026-02-05-1200-0000 failed"
    ):
        demo._microbatch(1, logical, {}, tmp_path, meanwhile=(DAY, "12:00-00:00"))


def test_a_failed_run_still_waits_for_the_source(monkeypatch, tmp_path):
    FakeServices(monkeypatch, run_rc=1)
    logical = dt.datetime(2026, 2, 6, 0, 10, tzinfo=dt.UTC)
    with pytest.raises(SystemExit, match=r"micro-batch 1: retail_microbatch .* failed"):
        demo._microbatch(1, logical, {}, tmp_path, meanwhile=(DAY, "12:00-00:00"))
    produce_log = tmp_path / "produce-2026-02-05-1200-0000.log"
    assert "7 messages" in produce_log.read_text()  # it ran to its end
