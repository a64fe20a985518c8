"""The pipeline never invents its own input: no DAG loads the upstream simulator."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from retail_kpi.airflow_env import airflow_env

PROBE = """
import sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder="dags")
assert not bag.import_errors, bag.import_errors
print("LOADED", sorted(bag.dags))
print("SIMULATOR", sorted(m for m in sys.modules if m.partition(".")[0] == "simulator"))
"""


def test_parsing_every_dag_imports_no_simulator_module():
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        env=airflow_env(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert "retail_microbatch" in lines["LOADED"] and "retail_daily" in lines["LOADED"]
    assert lines["SIMULATOR"] == "[]"
