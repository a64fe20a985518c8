"""The job as the DAG runs it: a script, in its own JVM, failing with one sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retail_kpi.config import REPO_ROOT
from tests.unit.clean_support import DAY, fx_rows, write_landing

pytestmark = pytest.mark.integration


def test_bad_landing_exits_1_with_one_sentence(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_landing(landing, "fx_rates", DAY, fx_rows(DAY))
    bad = landing / "products" / f"dt={DAY}"
    bad.mkdir(parents=True)
    (bad / "products.csv").write_text("id,name\nP1,Bike\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # not relying on cwd/path
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "spark_jobs" / "clean.py"), "--date", DAY,
         "--run-id", "cli", "--landing", str(landing), "--lake", str(tmp_path / "lake"),
         "--master", "local[1]"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, proc.stderr[-2000:]
    assert errors[0].startswith("ERROR: Landing file(s) products/dt=2026-03-10/products.csv do ")
    assert "Traceback" not in proc.stderr
