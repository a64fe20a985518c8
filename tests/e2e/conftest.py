"""Fixtures for the browser tests: Chromium, Superset's venv, a demo warehouse, Superset.

Everything is real: Debian's chromium driven by Playwright, Superset under gunicorn with
a fresh SQLite metadata DB in a temporary folder, and the warehouse in PostgreSQL
(database ``rk_bi_test``). Superset is stopped by its PID at the end of the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from retail_kpi.config import REPO_ROOT
from tests.e2e import demo_warehouse

SUPERSET_PY = REPO_ROOT / ".venv-superset" / "bin" / "python"
MANAGE = REPO_ROOT / "superset" / "manage.py"
BROWSE = REPO_ROOT / "superset" / "browse.py"
SCREENSHOTS = REPO_ROOT / ".superset" / "screenshots"
SETUP_TIMEOUT_S = 900


@dataclass(frozen=True)
class SupersetServer:
    url: str
    user: str
    password: str
    home: Path
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> str:
    """/usr/bin/chromium, installed with apt-get when missing; skip only if that fails."""
    proc = subprocess.run(
        ["bash", str(REPO_ROOT / "superset" / "ensure_chromium.sh")],
        capture_output=True, text=True, check=False, timeout=SETUP_TIMEOUT_S,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"Chromium is not installed and could not be: {proc.stderr.strip()}")
    return "/usr/bin/chromium"


@pytest.fixture(scope="session")
def superset_python() -> Path:
    """Superset's own venv, created with `make superset-venv` when missing or stale."""
    proc = subprocess.run(
        ["make", "-s", "superset-venv"], cwd=REPO_ROOT, capture_output=True, text=True,
        check=False, timeout=SETUP_TIMEOUT_S,
    )  # fmt: skip
    assert proc.returncode == 0, f"make superset-venv failed:\n{proc.stdout}\n{proc.stderr}"
    return SUPERSET_PY


@pytest.fixture(scope="session")
def bi_warehouse(spark: Any, tmp_path_factory: Any) -> Iterator[demo_warehouse.Warehouse]:
    """The demo warehouse Superset reads (database rk_bi_test, rebuilt each session)."""
    yield from demo_warehouse.build(spark, tmp_path_factory.mktemp("bi-lake"))


@pytest.fixture(scope="session")
def superset(
    superset_python: Path, bi_warehouse: demo_warehouse.Warehouse, tmp_path_factory: Any
) -> Iterator[SupersetServer]:
    """A fresh Superset with the bundle imported, on a free port; stopped at the end."""
    home = tmp_path_factory.mktemp("superset-home")
    port = _free_port()
    env = {
        **os.environ,
        "WAREHOUSE_URL": bi_warehouse.url,
        "BI_READER_USER": bi_warehouse.reader_user,
        "BI_READER_PASSWORD": bi_warehouse.reader_password,
        "SUPERSET_WORKERS": "1",
    }
    up = [str(superset_python), str(MANAGE), "up", "--home", str(home), "--port", str(port)]
    proc = subprocess.run(
        up, env=env, capture_output=True, text=True, check=False, timeout=SETUP_TIMEOUT_S
    )
    try:
        assert proc.returncode == 0, f"manage.py up failed:\n{proc.stdout}\n{proc.stderr}"
        login = subprocess.run(
            [str(superset_python), str(MANAGE), "login", "--home", str(home)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        password = login.stdout.split(maxsplit=1)[1].strip()
        yield SupersetServer(f"http://127.0.0.1:{port}", "admin", password, home, env)
    finally:
        subprocess.run(
            [str(superset_python), str(MANAGE), "stop", "--home", str(home)],
            env=env, check=False, timeout=120,
        )  # fmt: skip


@pytest.fixture(scope="session")
def browser_report(chromium: str, superset: SupersetServer) -> dict[str, Any]:
    """What headless Chromium saw on every dashboard (see superset/browse.py)."""
    cmd = [
        str(SUPERSET_PY), str(BROWSE), "--url", superset.url, "--user", superset.user,
        "--password", superset.password, "--shots", str(SCREENSHOTS),
    ]  # fmt: skip
    proc = subprocess.run(
        cmd, env=superset.env, capture_output=True, text=True, check=False, timeout=SETUP_TIMEOUT_S
    )
    assert proc.returncode == 0, f"browse.py failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)
