"""The operational settings of the DAGs: schedules, params, pools, groups, alerts, assets."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap

import pytest

from retail_kpi.airflow_env import airflow_env

PIPELINE_TASKS = [
    "wait_for_landing",
    "validate_landing",
    "clean_silver",
    "validate_silver",
    "compute_kpis",
    "validate_kpis",
    "load_warehouse",
    "validate_warehouse",
]

PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder="dags")
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    deadline = dag.deadline[0] if isinstance(dag.deadline, list) else dag.deadline
    out["dags"][dag_id] = {
        "schedule": str(getattr(dag.timetable, "expression", dag.timetable)),
        "catchup": dag.catchup,
        "paused": dag.is_paused_upon_creation,
        "max_active_runs": dag.max_active_runs,
        "params": {k: {"default": p.value, "description": p.description}
                   for k, p in dag.params.items()},
        "deadline": None if deadline is None else {
            "interval_h": deadline.interval.total_seconds() / 3600,
            "callback": deadline.callback.path,
        },
        "asset_schedule": [
            a.name for a in getattr(getattr(dag.timetable, "asset_condition", None), "objects", [])
        ],
        "tasks": {
            t.task_id: {
                "group": t.task_group.group_id if t.task_group else None,
                "pool": t.pool,
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "backoff": float(t.retry_exponential_backoff or 0),
                "doc": bool(t.doc_md or t.doc),
                "on_failure": [f.__name__ for f in (t.on_failure_callback or [])],
                "on_retry": [f.__name__ for f in (t.on_retry_callback or [])],
                "outlets": [getattr(o, "name", str(o)) for o in t.outlets],
                "inlets": [getattr(i, "name", str(i)) for i in t.inlets],
                "sensor": {"mode": t.mode, "poke_s": float(t.poke_interval),
                           "timeout_s": float(t.timeout)} if hasattr(t, "poke_interval") else None,
            }
            for t in dag.tasks
        },
    }
print("FACTS" + json.dumps(out, default=str))
"""


@pytest.fixture(scope="module")
def facts() -> dict:
    env = airflow_env(dict(os.environ))
    env["RETAIL_FRESH_BY"] = "07:30"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("FACTS"))
    data = json.loads(line[len("FACTS") :])
    assert data["errors"] == {}
    return data["dags"]


# retail_microbatch reads Kafka with tasks of its own (retail_kpi/ops/microbatch_tasks.py,
# tests/integration/test_retail_microbatch_dag.py); the file pipeline is retail_daily's.
def test_retail_daily_runs_the_eight_tasks_in_layer_order(facts):
    tasks = facts["retail_daily"]["tasks"]
    assert sorted(tasks) == sorted(PIPELINE_TASKS)
    for before, after in itertools.pairwise(PIPELINE_TASKS):
        assert tasks[after]["upstream"] == [before], after


def test_tasks_are_grouped_documented_and_spark_uses_its_pool(facts):
    tasks = facts["retail_daily"]["tasks"]
    groups = {t: tasks[t]["group"] for t in PIPELINE_TASKS}
    assert groups["wait_for_landing"] == groups["validate_landing"] == "landing"
    assert groups["clean_silver"] == "silver" and groups["compute_kpis"] == "kpis"
    assert groups["load_warehouse"] == groups["validate_warehouse"] == "warehouse"
    assert all(t["doc"] for t in tasks.values())
    assert {t: v["pool"] for t, v in tasks.items() if v["pool"] != "default_pool"} == {
        "clean_silver": "spark",
        "compute_kpis": "spark",
    }


@pytest.mark.parametrize("dag_id", ["retail_daily", "retail_microbatch", "retail_bi_refresh"])
def test_alerts_fire_on_final_failure_only(facts, dag_id):
    for task_id, task in facts[dag_id]["tasks"].items():
        assert "notify_task_failure" in task["on_failure"], task_id
        assert "notify_task_failure" not in task["on_retry"], task_id
        assert task["retries"] >= 1 and task["backoff"] == 2.0, task_id


def test_schedules_and_concurrency_are_chosen_on_purpose(facts):
    daily, micro = facts["retail_daily"], facts["retail_microbatch"]
    assert daily["schedule"] == "0 0 * * *" and not daily["catchup"]
    # Airflow pauses new DAGs by default: the nightly DAG and the BI refresh must not be.
    assert not daily["paused"] and not facts["retail_bi_refresh"]["paused"]
    assert micro["schedule"] == "*/10 * * * *" and not micro["catchup"] and micro["paused"]
    assert daily["max_active_runs"] == micro["max_active_runs"] == 1


def test_manual_runs_have_documented_params_with_defaults(facts):
    # no generator params: the pipeline never writes its own input
    for dag_id in ("retail_daily", "retail_microbatch"):
        params = facts[dag_id]["params"]
        assert set(params) == {"dry_run"}, dag_id
        assert params["dry_run"]["default"] is False and params["dry_run"]["description"]


def test_the_first_task_waits_for_the_done_marker_in_reschedule_mode(facts):
    tasks = facts["retail_daily"]["tasks"]
    sensor = tasks["wait_for_landing"]["sensor"]
    assert sensor == {"mode": "reschedule", "poke_s": 60.0, "timeout_s": 6 * 3600.0}
    assert [t for t, v in tasks.items() if v["sensor"]] == ["wait_for_landing"]
    assert tasks["wait_for_landing"]["upstream"] == []


def test_deadline_is_fresh_by_time_of_the_next_day(facts):
    deadline = facts["retail_daily"]["deadline"]
    assert deadline["interval_h"] == 24 + 7.5
    assert deadline["callback"] == "retail_kpi.ops.deadlines.warehouse_not_fresh"
    assert facts["retail_microbatch"]["deadline"] is None


def test_warehouse_gate_publishes_the_asset_bi_refresh_runs_on(facts):
    assert facts["retail_daily"]["tasks"]["validate_warehouse"]["outlets"] == [
        "retail_warehouse_date"
    ]
    assert facts["retail_bi_refresh"]["asset_schedule"] == ["retail_warehouse_date"]


LAKE = "retail_lake_"
CLEAN_IO = (
    [LAKE + "landing", LAKE + "raw_kafka"],
    [LAKE + "bronze", LAKE + "silver", LAKE + "quarantine"],
)


def _io(tasks: dict, task_id: str) -> tuple[list[str], list[str]]:
    return tasks[task_id]["inlets"], tasks[task_id]["outlets"]


@pytest.mark.parametrize("dag_id", ["retail_daily", "retail_microbatch"])
def test_tasks_declare_the_layers_and_tables_they_read_and_write(facts, dag_id):
    """The asset graph: landing (and Kafka) -> bronze/silver/quarantine -> KPI Parquet ->
    warehouse tables -> the published date that retail_bi_refresh runs on."""
    tasks = facts[dag_id]["tasks"]
    tables = _io(tasks, "load_warehouse")[1]
    assert {"retail_dw.fct_order_line", "retail_dw.dim_customer"} <= set(tables)
    assert "retail_mart.kpi_daily_sales" in tables
    assert _io(tasks, "clean_silver") == CLEAN_IO
    assert _io(tasks, "validate_silver") == ([LAKE + "silver"], [])
    assert _io(tasks, "compute_kpis") == ([LAKE + "silver"], [LAKE + "kpi"])
    assert _io(tasks, "validate_kpis") == ([LAKE + "kpi"], [])
    assert _io(tasks, "load_warehouse") == ([LAKE + "silver", LAKE + "kpi"], tables)
    assert _io(tasks, "validate_warehouse") == (tables, ["retail_warehouse_date"])
    if dag_id == "retail_microbatch":
        assert _io(tasks, "ingest_kafka") == ([], [LAKE + "raw_kafka"])
    else:
        assert _io(tasks, "validate_landing") == ([LAKE + "landing"], [])


MICROBATCH_TASKS = [
    "plan_batch",
    "ingest_kafka",
    "record_batch",
    "clean_silver",
    "validate_silver",
    "compute_kpis",
    "validate_kpis",
    "load_warehouse",
    "validate_warehouse",
]


def test_microbatch_plans_reads_and_records_a_batch_before_the_layers(facts):
    tasks = facts["retail_microbatch"]["tasks"]
    assert sorted(tasks) == sorted(MICROBATCH_TASKS)
    for before, after in itertools.pairwise(MICROBATCH_TASKS):
        assert tasks[after]["upstream"] == [before], after
    assert {t: v["group"] for t, v in tasks.items() if v["group"] == "kafka"} == {
        "plan_batch": "kafka",
        "ingest_kafka": "kafka",
        "record_batch": "kafka",
    }
    assert {t for t, v in tasks.items() if v["pool"] == "spark"} == {
        "ingest_kafka",
        "clean_silver",
        "compute_kpis",
    }
    assert all(t["doc"] for t in tasks.values())
    assert tasks["validate_warehouse"]["outlets"] == ["retail_warehouse_date"]
    assert not any(t["sensor"] for t in tasks.values())
