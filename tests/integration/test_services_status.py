"""`make services`: one table of what the project started, read from the real processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from retail_kpi import config
from retail_kpi.ops.services import collect
from retail_kpi.services import postgres

pytestmark = pytest.mark.integration
SERVICES = ["postgresql", "kafka", "spark-connect", "spark-cluster", "airflow", "superset"]


def test_the_running_warehouse_is_listed_with_its_pid_and_memory():
    if not config.managed_warehouse():
        pytest.skip("WAREHOUSE_URL names an external server: nothing of ours to list")
    rows = {r.name: r for r in collect()}
    assert list(rows) == [
        "postgresql",
        "kafka",
        "spark-connect",
        "spark-cluster",
        "airflow",
        "superset",
    ]
    pg = rows["postgresql"]
    assert (pg.state, pg.address) == ("running, healthy", f"127.0.0.1:{postgres.port()}")
    # The PID is the postmaster of our data folder, read independently of the module.
    postmaster = (postgres.data_dir() / "postmaster.pid").read_text().splitlines()[0]
    assert pg.pid == int(postmaster)
    assert pg.rss_bytes and pg.rss_bytes > 1 << 20


def test_the_command_prints_one_line_per_service():
    out = subprocess.run(
        [sys.executable, "-m", "retail_kpi.ops.services", "status"],
        capture_output=True, text=True, check=True, env=dict(os.environ),
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["service", "state", "address"]
    assert [line.split()[0] for line in lines[1:]] == SERVICES
