"""A Spark standalone cluster (one master, one worker) from the installed pyspark.

The pyspark wheel carries Spark's jars and ``bin/spark-class``, which is all a standalone
master and worker need, so cluster mode can be exercised on one machine with no Spark
download: ``make spark-cluster-up`` (then point the Airflow connection ``spark`` at the
printed URL) and ``make spark-cluster-down``; the cluster test uses the same functions.

Both daemons bind to 127.0.0.1, run in their own process group (so stopping one also
ends the executors it launched) and are stopped by the PIDs recorded at start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import pyspark

from retail_kpi.config import REPO_ROOT

SPARK_HOME = Path(pyspark.__file__).resolve().parent
HOST = "127.0.0.1"
DEFAULT_DIR = REPO_ROOT / ".local" / "spark-cluster"
STATE_FILE = "cluster.json"
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 20
_MASTER = "org.apache.spark.deploy.master.Master"
_WORKER = "org.apache.spark.deploy.worker.Worker"


class ClusterError(RuntimeError):
    """The cluster could not be started or reached."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: what clients need (URLs) and what stopping needs (PIDs)."""

    master_url: str
    master_ui: str
    master_pid: int
    worker_pid: int
    work_dir: str

    @property
    def airflow_conn(self) -> str:
        """AIRFLOW_CONN_SPARK value that makes the SparkSubmitHook target this master."""
        host, port = self.master_url.removeprefix("spark://").rsplit(":", 1)
        return json.dumps({"conn_type": "spark", "host": f"spark://{host}", "port": int(port)})


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def daemon_env(work_dir: Path) -> dict[str, str]:
    """Environment of the daemons: pyspark as SPARK_HOME, logs under ``work_dir``.

    PYTHONPATH is dropped on purpose: executors must get the project's code from the
    application (``--py-files``), exactly as on a real cluster.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        SPARK_HOME=str(SPARK_HOME),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOG_DIR=str(work_dir / "logs"),
        SPARK_WORKER_DIR=str(work_dir / "work"),
        SPARK_NO_DAEMONIZE="true",
        # Small daemons: each JVM only coordinates; executors get the worker's memory.
        SPARK_DAEMON_MEMORY="256m",
        SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",
        PYSPARK_PYTHON=sys.executable,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    return env


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=log.parent,
        )


def master_state(ui_url: str) -> dict | None:
    """The master's JSON status page, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{ui_url}/json/", timeout=5) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _wait(procs: dict[Path, subprocess.Popen[bytes]], ui_url: str) -> None:
    """Wait until the master is ALIVE with one ALIVE worker; fail fast if a daemon dies."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for log, proc in procs.items():
            if proc.poll() is not None:
                raise ClusterError(f"Spark exited at start (code {proc.returncode}); see {log}.")
        state = master_state(ui_url) or {}
        alive = [w for w in state.get("workers", []) if w.get("state") == "ALIVE"]
        if state.get("status") == "ALIVE" and alive:
            return
        time.sleep(1)
    raise ClusterError(f"Spark did not come up within {START_TIMEOUT_S}s; see {list(procs)}.")


def start(
    work_dir: Path = DEFAULT_DIR, *, port: int | None = None, cores: int = 1, memory: str = "1g"
) -> Cluster:
    """Start a master and one worker; return once the worker has registered.

    ``cores``/``memory`` are the worker's offer to executors: keep them small here.
    """
    work_dir = work_dir.resolve()
    env = daemon_env(work_dir)
    port = port or free_port()
    ui_port = free_port()
    master_url, master_ui = f"spark://{HOST}:{port}", f"http://{HOST}:{ui_port}"
    logs = work_dir / "logs"
    # Both at once: the worker retries until the master listens, which saves a JVM start.
    master = _spawn(
        [_MASTER, "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)],
        env,
        logs / "master.out",
    )
    worker_args = [
        _WORKER, "--host", HOST, "--webui-port", str(free_port()), "--cores", str(cores),
        "--memory", memory, "--work-dir", str(work_dir / "work"), master_url,
    ]  # fmt: skip
    worker = _spawn(worker_args, env, logs / "worker.out")
    try:
        _wait({logs / "master.out": master, logs / "worker.out": worker}, master_ui)
    except BaseException:
        for proc in (worker, master):
            _stop_pid(proc.pid)
        raise
    cluster = Cluster(master_url, master_ui, master.pid, worker.pid, str(work_dir))
    (work_dir / STATE_FILE).write_text(json.dumps(asdict(cluster), indent=2) + "\n")
    return cluster


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child that exited but was not reaped yet is a zombie: it is already gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _stop_pid(pid: int) -> None:
    """SIGTERM the process group ``pid`` leads, then SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            if not _alive(pid):
                return
            time.sleep(0.2)


def stop(cluster: Cluster) -> None:
    """Stop the worker (and its executors), then the master, by their PIDs."""
    _stop_pid(cluster.worker_pid)
    _stop_pid(cluster.master_pid)
    (Path(cluster.work_dir) / STATE_FILE).unlink(missing_ok=True)


def load(work_dir: Path = DEFAULT_DIR) -> Cluster | None:
    """The cluster recorded in ``work_dir``, if one was started there."""
    path = work_dir.resolve() / STATE_FILE
    return Cluster(**json.loads(path.read_text())) if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Spark standalone cluster from pyspark.")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="state and logs")
    parser.add_argument("--port", type=int, default=7077, help="master port (up)")
    parser.add_argument("--cores", type=int, default=1, help="worker cores (up)")
    parser.add_argument("--memory", default="1g", help="worker memory (up)")
    args = parser.parse_args(argv)
    current = load(args.dir)
    alive = current is not None and master_state(current.master_ui) is not None
    if args.action == "down":
        if current:
            stop(current)
        print("spark cluster: stopped" if current else "spark cluster: not running")
        return 0
    if alive and current:
        print(f"spark cluster: up at {current.master_url} (UI {current.master_ui})")
        return 0
    if args.action == "status":
        print("spark cluster: down")
        return 1
    try:
        cluster = start(args.dir, port=args.port, cores=args.cores, memory=args.memory)
    except ClusterError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"spark cluster: up at {cluster.master_url} (UI {cluster.master_ui})")
    print(f"  export AIRFLOW_CONN_SPARK='{cluster.airflow_conn}'")
    print("  stop: make spark-cluster-down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
