"""The DAG files import cleanly, cheaply, and carry the settings operators rely on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from retail_kpi.airflow_env import airflow_env

HEAVY_MODULES = ("pyspark", "pandas", "great_expectations", "pyarrow", "faker", "numpy")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=airflow_env(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def dag_facts() -> dict:
    """Parse the DAG folder in a fresh interpreter and report facts as JSON."""
    proc = _run(
        """
        import json, sys
        from airflow.dag_processing.dagbag import DagBag
        before = set(sys.modules)
        import importlib.util
        spec = importlib.util.spec_from_file_location("retail_daily_probe", "dags/retail_daily.py")
        module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
        heavy = sorted({m.split(".")[0] for m in set(sys.modules) - before})
        bag = DagBag(dag_folder="dags")
        errors = {k: str(v) for k, v in bag.import_errors.items()}
        out = {"errors": errors, "heavy": heavy, "dags": {}}
        for dag_id, dag in bag.dags.items():
            out["dags"][dag_id] = {
                "tags": sorted(dag.tags), "max_active_runs": dag.max_active_runs,
                "doc_md": bool(dag.doc_md),
                "tasks": {t.task_id: {"retries": t.retries, "owner": t.owner} for t in dag.tasks},
            }
        print("FACTS" + json.dumps(out))
        """
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("FACTS"))
    import json

    return json.loads(line[len("FACTS") :])


def test_dags_import_without_errors(dag_facts: dict) -> None:
    assert dag_facts["errors"] == {}
    assert "retail_daily" in dag_facts["dags"]


def test_dag_parse_does_not_import_heavy_libraries(dag_facts: dict) -> None:
    assert not set(HEAVY_MODULES) & set(dag_facts["heavy"]), dag_facts["heavy"]


def test_every_dag_is_documented_tagged_and_retried(dag_facts: dict) -> None:
    for dag_id, facts in dag_facts["dags"].items():
        assert facts["doc_md"], dag_id
        assert facts["tags"], dag_id
        assert facts["max_active_runs"] >= 1
        for task_id, task in facts["tasks"].items():
            assert task["retries"] >= 1, f"{dag_id}.{task_id} has no retries"
            assert task["owner"] != "airflow", f"{dag_id}.{task_id} has the default owner"


def test_retail_daily_runs_the_layers_in_order(dag_facts: dict) -> None:
    tasks = set(dag_facts["dags"]["retail_daily"]["tasks"])
    assert {
        "wait_for_landing",
        "validate_landing",
        "clean_silver",
        "validate_silver",
        "compute_kpis",
        "load_warehouse",
    } <= tasks
