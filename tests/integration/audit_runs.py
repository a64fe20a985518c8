"""Airflow runs for ``test_ops_audit.py``, run as a script with ``retail_kpi.airflow_env``.

``airflow dags test`` (and ``retail_kpi.ops.dagrun``) can only start a *manual* run, and
never clears a task, so this script plays the scheduler's and the user's part against the
real metadata database and runs every task through Airflow's own in-process task runner
(``_run_task``, what ``dag.test`` uses, callbacks included):

1. an asset-triggered run of ``retail_bi_refresh`` (no logical date), consuming one event
   of ``retail_warehouse_date`` whose ``extra`` carries DAY, as the scheduler creates it;
   then a user clears ``refresh_bi`` and it runs again;
2. a manual run of the probe DAG (one task fails on its first try), then a user clears
   every task and they run again.

Prints ``RUN {...}`` (DAG id, run id, final run state) after each run.
"""

from __future__ import annotations

import json
import os
import sys
import time

DAY = sys.argv[1] if len(sys.argv) > 1 else "2026-03-02"
#: Longest a run may take (retry delays included) before the script gives up.
RUN_TIMEOUT_S = 300


def _sync_dags(session):
    """Parse the DAG folder and store the DAGs, as the dag-processor would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db(session=session)
    session.commit()
    dags = {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        assert not bag.import_errors, bag.import_errors
        sync_bag_to_db(bag, bundle.name, bundle.version)
        dags.update(bag.dags)
    return dags


def _scheduler_dag(session, dag_id):
    from airflow.models.dagbag import DBDagBag

    return DBDagBag().get_latest_version_of_dag(dag_id, session=session)


def _asset_triggered_run(session, dag_id, asset_name, extra):
    """One asset event, and the run the scheduler creates for it (no logical date)."""
    import pendulum
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import select

    asset = session.scalar(select(AssetModel).where(AssetModel.name == asset_name))
    event = AssetEvent(asset_id=asset.id, extra=extra, source_task_id="validate_warehouse")
    session.add(event)
    session.flush()
    now = pendulum.now("UTC")
    dag = _scheduler_dag(session, dag_id)
    run = dag.create_dagrun(
        run_id=DagRun.generate_run_id(
            run_type=DagRunType.ASSET_TRIGGERED, logical_date=None, run_after=now
        ),
        logical_date=None,
        data_interval=None,
        run_after=now,
        run_type=DagRunType.ASSET_TRIGGERED,
        triggered_by=DagRunTriggeredByType.ASSET,
        state=DagRunState.RUNNING,
        session=session,
    )
    run.consumed_asset_events.append(event)
    session.commit()
    return dag, run


def _manual_run(session, dag_id, day):
    import pendulum
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    logical = pendulum.parse(day)
    dag = _scheduler_dag(session, dag_id)
    run = dag.create_dagrun(
        run_id=DagRun.generate_run_id(
            run_type=DagRunType.MANUAL, logical_date=logical, run_after=logical
        ),
        logical_date=logical,
        data_interval=dag.timetable.infer_manual_data_interval(run_after=logical),
        run_after=logical,
        run_type=DagRunType.MANUAL,
        triggered_by=DagRunTriggeredByType.TEST,
        state=DagRunState.RUNNING,
        session=session,
    )
    session.commit()
    return dag, run


def _run_to_end(session, sdk_dag, run):
    """The scheduling loop of ``dag.test``: schedule what is ready, run it, until done."""
    from airflow.sdk.definitions.dag import _run_task
    from airflow.utils.state import DagRunState, TaskInstanceState

    deadline = time.monotonic() + RUN_TIMEOUT_S
    while run.state == DagRunState.RUNNING:
        assert time.monotonic() < deadline, f"{run.run_id} still running"
        session.expire_all()
        schedulable, _ = run.update_state(session=session)
        for ti in schedulable:
            ti.try_number += 1
            ti.state = TaskInstanceState.SCHEDULED
        session.commit()
        ready = [
            ti
            for ti in run.get_task_instances(session=session)
            if ti.state == TaskInstanceState.SCHEDULED
        ]
        if not ready:
            time.sleep(0.5)  # a retry waiting for its delay
        for ti in ready:
            _run_task(ti=ti, task=sdk_dag.task_dict[ti.task_id])
    print("RUN " + json.dumps({"dag_id": run.dag_id, "run_id": run.run_id,
                               "state": str(run.state.value)}), flush=True)  # fmt: skip


def _clear(session, dag, run, task_ids):
    """What the UI's *Clear* (and ``POST .../clearTaskInstances``) does to finished tasks;
    returns the run, running again."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState
    from sqlalchemy import select

    dag.clear(task_ids=task_ids, run_id=run.run_id, dag_run_state=DagRunState.RUNNING,
              session=session)  # fmt: skip
    session.commit()
    run = session.scalar(
        select(DagRun).where(DagRun.dag_id == run.dag_id, DagRun.run_id == run.run_id)
    )
    run.dag = dag
    return run


def main() -> None:
    os.environ.update({"RETAIL_FRESH_BY": "off"})
    from airflow import settings

    session = settings.Session()
    dags = _sync_dags(session)

    dag, run = _asset_triggered_run(
        session, "retail_bi_refresh", "retail_warehouse_date",
        {"date": DAY, "run_id": f"scheduled__{DAY}T00:00:00+00:00"},
    )  # fmt: skip
    _run_to_end(session, dags["retail_bi_refresh"], run)
    run = _clear(session, dag, run, ["refresh_bi"])
    _run_to_end(session, dags["retail_bi_refresh"], run)

    dag, run = _manual_run(session, "audit_probe", DAY)
    _run_to_end(session, dags["audit_probe"], run)
    run = _clear(session, dag, run, ["flaky", "steady"])
    _run_to_end(session, dags["audit_probe"], run)


if __name__ == "__main__":
    main()
