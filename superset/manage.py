"""Initialise, import, serve and stop the project's Superset (run with .venv-superset).

One script so that ``make superset``, the e2e test and a user at a shell start Superset
the same way: a metadata DB under ``--home`` (default ``.superset/``), secrets generated
once per home (never in git), the bundle imported non-interactively, gunicorn on
127.0.0.1, and a PID file so that ``stop`` ends exactly the processes ``serve`` started.

    .venv-superset/bin/python superset/manage.py up [--home DIR] [--port 8088]
    .venv-superset/bin/python superset/manage.py stop [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))  # for retail_kpi.config (stdlib only)

from retail_kpi import config  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DEFAULT_HOME = REPO_ROOT / ".superset"
DEFAULT_PORT = 8088
ADMIN_USER = "admin"
START_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30


def _stored_secret(home: Path, env_name: str, file_name: str) -> str:
    """The env value if set, else a random value generated once and kept in ``home``."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    path = home / file_name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        # hex: never starts with "-", which a command line would take for an option
        path.write_text(secrets.token_hex(48 if "KEY" in env_name else 18))
        path.chmod(0o600)
    return path.read_text().strip()


def admin_password(home: Path) -> str:
    return _stored_secret(home, "SUPERSET_ADMIN_PASSWORD", "admin_password")


def superset_env(home: Path) -> dict[str, str]:
    """Environment for every Superset process of this home."""
    env = dict(os.environ)
    # The repo root on PYTHONPATH is harmless (superset/ here has no __init__.py) but
    # keep Superset's import path to its own venv to be sure.
    env.pop("PYTHONPATH", None)
    env.update(
        SUPERSET_HOME=str(home),
        SUPERSET_CONFIG_PATH=str(HERE / "superset_config.py"),
        SUPERSET_SECRET_KEY=_stored_secret(home, "SUPERSET_SECRET_KEY", "secret_key"),
        FLASK_APP="superset.app:create_app()",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    if not env.get("SUPERSET_METADATA_URL") and config.managed_warehouse():
        # The `superset` login and its database on the project's own PostgreSQL.
        url = config.local_pg_url("superset", "retail_superset", "SUPERSET_DB_PASSWORD")
        env["SUPERSET_METADATA_URL"] = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    return env


def bi_connection_hint() -> str:
    """How Tableau and Power BI reach the same warehouse (never the password itself)."""
    parts = urlsplit(config.env("WAREHOUSE_URL"))
    user = os.environ.get("BI_READER_USER") or "bi_reader"
    return (
        f"open bi/retail_kpi_warehouse.tds or .pbids; PostgreSQL {parts.hostname}:"
        f"{parts.port or 5432}, database {parts.path.lstrip('/')}, user {user},"
        f" password: {config.bi_password_source()} (docs/BI.md)"
    )


def provision(home: Path, init: bool, do_import: bool) -> None:
    """Run superset/provision.py (one Superset start for all metadata steps)."""
    cmd = [sys.executable, str(HERE / "provision.py")]
    cmd += ["--init"] if init else []
    cmd += [] if do_import else ["--no-import"]
    env = superset_env(home)
    env["SUPERSET_ADMIN_PASSWORD"] = admin_password(home)
    steps = (["initialising"] if init else []) + (
        ["importing superset/bundle"] if do_import else []
    )
    print(f"superset: {' and '.join(steps)} in {home}", flush=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-5000:] + proc.stderr[-5000:])
        raise SystemExit(f"provision.py failed (exit {proc.returncode}); see above.")
    print("\n".join(line for line in proc.stdout.splitlines() if line.startswith("superset:")))


def _pid_file(home: Path) -> Path:
    return home / "superset.pid"


def _running_pid(home: Path) -> int | None:
    """PID of this home's gunicorn if it is still alive, else None."""
    try:
        pid = int(_pid_file(home).read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if b"gunicorn" in cmdline else None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(home: Path, port: int, workers: int) -> str:
    """Start gunicorn in its own session, wait for /health, return the base URL."""
    url = f"http://127.0.0.1:{port}"
    if _running_pid(home):
        print(f"superset: already running at {url}")
        return url
    log = (home / "superset.log").open("ab")
    cmd = [
        str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
        "--limit-request-line", "0", "--limit-request-field_size", "0",
        "superset.app:create_app()",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=superset_env(home), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True, cwd=home,
    )  # fmt: skip
    _pid_file(home).write_text(f"{proc.pid} {port}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"Superset exited at start (code {proc.returncode}); see {log.name}.")
        if _healthy(url):
            return url
        time.sleep(1)
    stop(home)
    raise SystemExit(f"Superset did not answer {url}/health in {START_TIMEOUT_S}s; see {log.name}.")


def stop(home: Path) -> None:
    """Stop the gunicorn this home started (its whole session), by its recorded PID."""
    pid = _running_pid(home)
    if pid is None:
        print("superset: not running")
        _pid_file(home).unlink(missing_ok=True)
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.5)
    if Path(f"/proc/{pid}").exists():
        os.killpg(pid, signal.SIGKILL)
    _pid_file(home).unlink(missing_ok=True)
    print(f"superset: stopped (pid {pid})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["init", "import", "serve", "up", "stop", "login"])
    parser.add_argument(
        "--home", type=Path, default=Path(os.environ.get("SUPERSET_HOME") or DEFAULT_HOME)
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SUPERSET_PORT") or DEFAULT_PORT)
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SUPERSET_WORKERS") or 2))
    args = parser.parse_args(argv)
    home = args.home.resolve()
    if args.command == "stop":
        stop(home)
        return 0
    if args.command == "login":
        print(f"{ADMIN_USER} {admin_password(home)}")
        return 0
    if args.command in ("init", "import", "up"):
        home.mkdir(parents=True, exist_ok=True)
        provision(home, init=args.command != "import", do_import=args.command != "init")
    if args.command in ("serve", "up"):
        url = serve(home, args.port, args.workers)
        print(f"\nSuperset is up: {url}/dashboard/list/")
        where = (
            "SUPERSET_ADMIN_PASSWORD"
            if os.environ.get("SUPERSET_ADMIN_PASSWORD")
            else (home / "admin_password")
        )
        print(f"  login: {ADMIN_USER} / {admin_password(home)}   (from {where})")
        print("  stop:  make superset-stop")
        print(f"\nTableau / Power BI: {bi_connection_hint()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
