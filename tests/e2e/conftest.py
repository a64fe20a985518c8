"""Fixtures for the browser tests: Chromium, Superset's venv, a demo warehouse, Superset.

Everything is real: Debian's chromium driven by Playwright, Superset under gunicorn with
a fresh SQLite metadata DB in a temporary folder, and the warehouse in PostgreSQL
(a fresh ``rk_bi_e2e_*`` database). Superset is stopped by its PID at the end of the session.

The slow steps overlap where they can: Chromium's apt-get install and Superset's start
(initialise, import the bundle, serve) run in the background while Spark fills the
warehouse, which is most of the session's time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
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
ENSURE_CHROMIUM = REPO_ROOT / "superset" / "ensure_chromium.sh"
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


@dataclass(frozen=True)
class _Background:
    """A setup command running while other fixtures work; its output goes to ``log``."""

    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> _Background:
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        return cls(proc, log)

    def wait(self) -> tuple[int, str]:
        """Exit code and the output's tail; waits at most SETUP_TIMEOUT_S from now."""
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            return -1, f"{self.log.read_text()[-3000:]}\n(killed after {SETUP_TIMEOUT_S}s)"
        return self.proc.returncode, self.log.read_text()[-3000:]


@pytest.fixture(scope="session")
def chromium_install(tmp_path_factory: Any) -> Iterator[_Background]:
    """superset/ensure_chromium.sh started in the background (apt-get when missing)."""
    log = tmp_path_factory.mktemp("chromium") / "ensure_chromium.log"
    job = _Background.start(["bash", str(ENSURE_CHROMIUM)], log)
    yield job
    job.wait()  # never leave apt-get/dpkg running, nor kill it half-way if avoidable


@pytest.fixture(scope="session")
def chromium(chromium_install: _Background) -> str:
    """/usr/bin/chromium, installed with apt-get when missing; skip only if that fails."""
    code, output = chromium_install.wait()
    if code != 0:
        pytest.skip(f"Chromium is not installed and could not be: {output.strip()}")
    return "/usr/bin/chromium"


@pytest.fixture(scope="session")
def superset_python() -> Path:
    """Superset's own venv, created with `make superset-venv` when missing or stale."""
    proc = subprocess.run(
        ["make", "-s", "superset-venv"], cwd=REPO_ROOT, capture_output=True, text=True,
        check=False, timeout=SETUP_TIMEOUT_S, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, f"make superset-venv failed:\n{proc.stdout}\n{proc.stderr}"
    return SUPERSET_PY


@pytest.fixture(scope="session")
def bi_database() -> Iterator[demo_warehouse.Warehouse]:
    """A new, migrated, still empty warehouse database with a reader login (dropped at end)."""
    yield from demo_warehouse.create()


@pytest.fixture(scope="session")
def bi_warehouse(
    bi_database: demo_warehouse.Warehouse, generated_lake: Any, tmp_path_factory: Any
) -> demo_warehouse.Warehouse:
    """The demo warehouse Superset reads: bi_database filled by the project's pipeline."""
    demo_warehouse.fill(generated_lake, bi_database, tmp_path_factory.mktemp("bi-lake"))
    return bi_database


@dataclass(frozen=True)
class _SupersetStart:
    job: _Background
    home: Path
    port: int
    env: dict[str, str]


@pytest.fixture(scope="session")
def superset_start(
    superset_python: Path, bi_database: demo_warehouse.Warehouse, tmp_path_factory: Any
) -> Iterator[_SupersetStart]:
    """`manage.py up` (fresh metadata DB, bundle import, gunicorn) started in the background.

    Importing needs only the migrated schema, not the data. Stopped by its PID at the end.
    """
    home = tmp_path_factory.mktemp("superset-home")
    port = _free_port()
    env = {
        **os.environ,
        "WAREHOUSE_URL": bi_database.url,
        "BI_READER_USER": bi_database.reader_user,
        "BI_READER_PASSWORD": bi_database.reader_password,
        "SUPERSET_WORKERS": "1",
        # its own metadata, not the retail_superset database of the user's `make superset`
        "SUPERSET_METADATA_URL": f"sqlite:///{home / 'superset.db'}?check_same_thread=false",
    }
    up = [str(superset_python), str(MANAGE), "up", "--home", str(home), "--port", str(port)]
    job = _Background.start(up, home / "manage_up.log", env)
    try:
        yield _SupersetStart(job, home, port, env)
    finally:
        job.wait()  # `up` records gunicorn's PID before it returns; then stop by that PID
        subprocess.run(
            [str(superset_python), str(MANAGE), "stop", "--home", str(home)],
            env=env, check=False, timeout=120,
        )  # fmt: skip


@pytest.fixture(scope="session")
def superset(
    superset_start: _SupersetStart, bi_warehouse: demo_warehouse.Warehouse
) -> SupersetServer:
    """A fresh Superset with the bundle imported and the demo warehouse filled."""
    code, output = superset_start.job.wait()
    assert code == 0, f"manage.py up failed:\n{output}"
    login = subprocess.run(
        [str(SUPERSET_PY), str(MANAGE), "login", "--home", str(superset_start.home)],
        env=superset_start.env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    password = login.stdout.split(maxsplit=1)[1].strip()
    return SupersetServer(
        f"http://127.0.0.1:{superset_start.port}", "admin", password, superset_start.home,
        superset_start.env,
    )  # fmt: skip


@pytest.fixture(scope="session")
def browser_report(
    chromium_install: _Background, superset: SupersetServer, chromium: str
) -> dict[str, Any]:
    """What headless Chromium saw on every dashboard (see superset/browse.py).

    The argument order is the setup order: the install starts before Superset and the
    warehouse are built, and is waited for (or skipped) only after them.
    """
    cmd = [
        str(SUPERSET_PY), str(BROWSE), "--url", superset.url, "--user", superset.user,
        f"--password={superset.password}", "--shots", str(SCREENSHOTS),
    ]  # fmt: skip
    proc = subprocess.run(
        cmd, env=superset.env, capture_output=True, text=True, check=False, timeout=SETUP_TIMEOUT_S
    )
    assert proc.returncode == 0, f"browse.py failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)
