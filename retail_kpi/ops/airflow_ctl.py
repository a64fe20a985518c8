"""``python -m retail_kpi.ops.airflow_ctl start|stop|status``: a local Airflow, exactly.

``make airflow`` starts the four Airflow 3 services (api-server, scheduler, dag-processor,
triggerer) on 127.0.0.1 with the environment of :func:`retail_kpi.airflow_env.airflow_env`
(connections ``spark`` and ``warehouse`` come from ``AIRFLOW_CONN_*`` variables, nothing
is clicked in the UI), creates the ``spark`` pool, waits until the UI answers and prints
the URL and the login. Each service runs in its own session and its PID is written to
``$AIRFLOW_HOME/run/<service>.pid``; ``stop`` signals exactly those process groups.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from retail_kpi.airflow_env import airflow_env

#: Scheduler and triggerer would also start log servers on every interface; the API
#: server reads the local log files directly, so they are skipped (127.0.0.1 only).
SERVICES: dict[str, list[str]] = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
#: Metadata database of the long-running services. SQLite (the default of
#: ``airflow_env`` for ``dags test``) locks up with four services writing at once.
METADATA_DB = "retail_airflow"
READY_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30
DEFAULT_USER = "admin"


def _home(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW_HOME"])


def _pid_file(env: dict[str, str], name: str) -> Path:
    return _home(env) / "run" / f"{name}.pid"


def _alive(pid: int) -> bool:
    """True when ``pid`` runs and is an Airflow process (guards against reused PIDs)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"airflow" in cmdline


def running(env: dict[str, str]) -> dict[str, int]:
    """service -> PID of each service `start` recorded that still runs (and is Airflow)."""
    out = {}
    for name in SERVICES:
        path = _pid_file(env, name)
        if path.exists():
            pid = int(path.read_text().strip() or 0)
            if pid and _alive(pid):
                out[name] = pid
    return out


def _airflow(env: dict[str, str], *args: str) -> None:
    cmd = [sys.executable, "-m", "airflow", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"`airflow {' '.join(args)}` failed:\n{proc.stderr[-2000:]}")


def _base_url(env: dict[str, str]) -> str:
    return env["AIRFLOW__API__BASE_URL"].rstrip("/")


def healthy(env: dict[str, str]) -> bool:
    try:
        url = f"{_base_url(env)}/api/v2/monitor/health"
        with urllib.request.urlopen(url, timeout=3) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _login(env: dict[str, str]) -> str:
    users = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", f"{DEFAULT_USER}:admin")
    user = users.split(",")[0].split(":")[0]
    generated = _home(env) / "simple_auth_manager_passwords.json.generated"
    if generated.exists():
        password = json.loads(generated.read_text()).get(user, "?")
        return f"user {user}, password {password} (from {generated})"
    return f"user {user}; password: see {generated} once the api-server has started"


def start(env: dict[str, str]) -> int:
    """Start the services that are not running yet; print URL and login."""
    already = running(env)
    (_home(env) / "run").mkdir(parents=True, exist_ok=True)
    logs = _home(env) / "logs" / "services"
    logs.mkdir(parents=True, exist_ok=True)
    _airflow(env, "db", "migrate")
    from retail_kpi.ops.dag_tasks import SPARK_POOL, SPARK_POOL_SLOTS  # imports Airflow

    _airflow(env, "pools", "set", SPARK_POOL, str(SPARK_POOL_SLOTS), "One Spark app at a time")
    for name, args in SERVICES.items():
        if name in already:
            print(f"{name:<14} already running (pid {already[name]})")
            continue
        with (logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "airflow", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _pid_file(env, name).write_text(f"{proc.pid}\n")
        print(f"{name:<14} started (pid {proc.pid}, log {logs / (name + '.log')})")
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not healthy(env):
        if time.monotonic() > deadline:
            print(f"Airflow did not answer within {READY_TIMEOUT_S}s; see the logs in {logs}.")
            return 1
        time.sleep(2)
    print(f"\nAirflow UI: {_base_url(env)}\nLogin: {_login(env)}\nStop:  make airflow-stop")
    return 0


def stop(env: dict[str, str]) -> int:
    """SIGTERM each recorded service's process group, SIGKILL it after a grace period."""
    pids = running(env)
    for name, pid in pids.items():
        os.killpg(pid, signal.SIGTERM)
        print(f"{name:<14} stopping (pid {pid})")
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name, pid in pids.items():
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
            print(f"{name:<14} killed (pid {pid})")
    for name in SERVICES:
        _pid_file(env, name).unlink(missing_ok=True)
    print("Airflow stopped." if pids else "Airflow was not running.")
    return 0


def status(env: dict[str, str]) -> int:
    pids = running(env)
    for name in SERVICES:
        print(f"{name:<14} {f'running (pid {pids[name]})' if name in pids else 'stopped'}")
    print(f"UI {_base_url(env)}: {'up' if healthy(env) else 'down'}")
    return 0


def service_env() -> dict[str, str]:
    """``airflow_env()`` with the metadata in PostgreSQL unless
    ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` is set explicitly: the ``airflow`` login and its
    database on the project's own server, or a ``retail_airflow`` database next to an
    external warehouse (WAREHOUSE_URL's login)."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    from retail_kpi import config
    from retail_kpi.warehouse.db import libpq_url, with_database
    from retail_kpi.warehouse.ensure import ensure_database

    explicit = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in os.environ
    env = airflow_env()
    if explicit:
        return env
    if config.managed_warehouse():
        url = config.local_pg_url("airflow", METADATA_DB, "AIRFLOW_DB_PASSWORD")
    else:
        url = with_database(env["WAREHOUSE_URL"], METADATA_DB)
        ensure_database(url)
    p = conninfo_to_dict(libpq_url(url))
    user, password = str(p.get("user") or "postgres"), p.get("password")
    auth = quote(user, safe="") + (f":{quote(str(password), safe='')}" if password else "")
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
        f"postgresql+psycopg2://{auth}@{p.get('host', '127.0.0.1')}:{p.get('port', 5432)}/"
        f"{METADATA_DB}"
    )
    return env


def print_env(env: dict[str, str]) -> int:
    """``export`` lines, for ``eval "$(python -m retail_kpi.ops.airflow_ctl env)"``."""
    for key in sorted(k for k in env if env[k] != os.environ.get(k)):
        print(f"export {key}={shlex.quote(env[key])}")
    return 0


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr: Airflow's logging holds its own handle on stdout,
    and a log line (e.g. "created database retail_airflow") must never reach ``eval``."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_kpi.ops.airflow_ctl")
    parser.add_argument("action", choices=("start", "stop", "status", "env"))
    args = parser.parse_args(argv)
    if args.action == "env":
        with _stdout_to_stderr():
            env = service_env()
        return print_env(env)
    actions = {"start": start, "stop": stop, "status": status}
    return actions[args.action](service_env())


if __name__ == "__main__":
    sys.exit(main())
