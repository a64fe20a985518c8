"""``python -m retail_kpi.ops.dagrun``: run a DAG for a range of dates without a scheduler.

The same thing as ``airflow dags test`` once per date, but Airflow starts and parses the
DAG once, which saves about half a minute per date on a small machine. Use it on a laptop,
in CI and in the fault tests; with a running scheduler prefer Airflow's native backfill
(``airflow backfill create``, see docs/RUNBOOK.md). Prints one JSON line per date:

    {"date": "2026-03-02", "run_id": "manual__…", "state": "success", "tasks": {...}}

Run it with the environment of ``retail_kpi.airflow_env`` (``make`` and the tests do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from retail_kpi.airflow_env import DAGS_TEST_ENV
from retail_kpi.cli_args import iso_date


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise SystemExit(f"--to {end} is before --from {start}; swap them.")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def run_date(
    dag: Any, day: dt.date, conf: dict[str, Any] | None, mark_success: str | None
) -> dict[str, Any]:
    """One ``dag.test`` run of ``day``; returns the run's and each task's final state."""
    import pendulum
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select, update

    logical = pendulum.datetime(day.year, day.month, day.day, tz="UTC")
    refuse_a_scheduled_run(dag.dag_id, logical)
    dr = dag.test(logical_date=logical, run_conf=conf, mark_success_pattern=mark_success)
    interval = scheduled_interval(dag.timetable, logical)
    with create_session() as session:
        if interval is not None:
            session.execute(
                update(DagRun)
                .where(DagRun.dag_id == dag.dag_id, DagRun.run_id == dr.run_id)
                .values(data_interval_start=interval.start, data_interval_end=interval.end)
            )
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag.dag_id, TaskInstance.run_id == dr.run_id
            )
        ).all()
        tasks = {ti.task_id: _text(ti.state) for ti in tis}
    return {"date": day.isoformat(), "run_id": dr.run_id, "state": _text(dr.state), "tasks": tasks}


def scheduled_interval(timetable: Any, logical: Any) -> Any:
    """The data interval the scheduler gives the run of ``logical`` (None when the DAG has no
    such schedule), which ``run_date`` records on its run.

    ``dag.test`` gives a manual run the interval that *ends* at its logical date (for
    ``retail_daily``, the day before), but the run processes its logical date, the day the
    scheduler's run of that date covers. The scheduler skips a date that already has a run
    and continues after that run's interval: with the manual interval it would retry the
    same date every second until midnight, with this one it goes on with the next day."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    core = coerce_to_core_timetable(timetable)
    info = core.next_dagrun_info(
        last_automated_data_interval=core.infer_manual_data_interval(run_after=logical),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
    )
    if info is None or info.logical_date != logical:
        return None  # no schedule, or one whose runs are not keyed by their interval start
    return info.data_interval


def refuse_a_scheduled_run(dag_id: str, logical: Any) -> None:
    """``dag.test`` replaces its own manual run of a date, but a scheduled or backfill run of
    the same date would make it fail on Airflow's unique (DAG, logical date) key, after
    parsing; say so first, and what to do instead."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    with create_session() as session:
        found = session.execute(
            select(DagRun.run_id, DagRun.state).where(
                DagRun.dag_id == dag_id,
                DagRun.logical_date == logical,
                DagRun.run_type != DagRunType.MANUAL,
            )
        ).first()
    if found is not None:
        raise SystemExit(
            f"{dag_id} already has the run {found[0]} ({_text(found[1])}) for "
            f"{logical:%Y-%m-%d}, made by the scheduler or a backfill. To run that date "
            "again, clear that run (Airflow UI: the run -> Clear; or `airflow tasks clear "
            f"{dag_id} -s {logical:%Y-%m-%d} -e {logical:%Y-%m-%d} --yes`)."
        )


def _text(state: Any) -> str:
    """Airflow states are str enums; their plain value, e.g. ``success``."""
    return str(getattr(state, "value", state))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_kpi.ops.dagrun", description=__doc__)
    parser.add_argument("dag_id")
    parser.add_argument("--from", dest="start", required=True, type=iso_date)
    parser.add_argument("--to", dest="end", type=iso_date, help="default: --from")
    parser.add_argument("--conf", type=json.loads, default=None, help="run conf (JSON)")
    parser.add_argument(
        "--mark-success",
        default=None,
        help="regex of task ids to mark successful instead of running (reuse their output)",
    )
    args = parser.parse_args(argv)

    os.environ.update(DAGS_TEST_ENV)  # manual runs; apache/airflow#73428
    from airflow.utils.cli import get_bagged_dag

    dag = get_bagged_dag(None, args.dag_id)
    failed = 0
    for day in _dates(args.start, args.end or args.start):
        result = run_date(dag, day, args.conf, args.mark_success)
        failed += result["state"] != "success"
        print("DAGRUN " + json.dumps(result, sort_keys=True), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
