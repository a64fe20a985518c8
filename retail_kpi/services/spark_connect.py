"""The project's Spark Connect server: one long-lived Spark application the jobs share.

Every Spark task of the DAGs otherwise starts a JVM of its own (``spark-submit``): 10 to 15 s
of start-up and a cold JIT on each task. A Spark Connect server is that JVM kept running;
a job connects to it as a thin client (``sc://host:port``) and runs the same DataFrame
code. It is pyspark's own ``SparkConnectServer`` (the jar ships with pyspark 4.2), started
with ``spark-submit`` on ``SPARK_MASTER`` (``local[*]`` by default, a ``spark://`` master
for a cluster), listening on 127.0.0.1 only, with the locked ``spark`` jars (Kafka source,
OpenLineage) and the jobs' session defaults. Its folder is ``.local/spark-connect/``
(``server.log``, the PID file); the PID file's marker is the server's port argument.

How the DAGs use it: point the Airflow connection ``spark`` at it
(``AIRFLOW_CONN_SPARK='{"conn_type": "spark_connect", "host": "sc://127.0.0.1", "port":
15002}'``, :func:`airflow_conn`); the Spark tasks then run their job as a Connect client
(:mod:`retail_kpi.ops.spark`). ``SPARK_REMOTE`` set = use that server and start nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from retail_kpi import batch_size, config, lineage
from retail_kpi.services import jvm, process
from retail_kpi.services.process import ServiceStatus

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 15002
STATE_DIR = config.LOCAL_DIR / "spark-connect"
START_TIMEOUT_S = 120.0
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
#: The lineage job name of everything the server runs.
LINEAGE_APP = "retail_spark_connect"

#: Static settings of the server's application (the per-session SQL settings are the
#: jobs' own, :data:`spark_jobs.common.DEFAULT_CONF`).
SERVER_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.connect.grpc.binding.address": HOST,  # the server binds every interface otherwise
}


class SparkConnectError(RuntimeError):
    """The server could not be started or reached; the message says why and what to do."""


def spark_home() -> Path:
    """pyspark's own distribution (``bin/spark-submit`` and the Connect server jar)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


#: What pyspark sets in ``os.environ`` when a process creates a Spark Connect session; from
#: then on that process (and every child it starts with its environment) can no longer
#: create a classic session, spark-submit's jobs included.
CONNECT_MODE_VARIABLES = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE", "SPARK_REMOTE")


@contextlib.contextmanager
def client_environment() -> Iterator[None]:
    """Within the block, a Spark Connect session may be created in this process; its marks
    on ``os.environ`` are undone afterwards (a probe, a test), so this process and its
    children can still run classic Spark."""
    saved = {name: os.environ.get(name) for name in CONNECT_MODE_VARIABLES}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def answers(url: str) -> bool:
    """True when a Spark Connect server at ``url`` runs a query (not merely an open port)."""
    from pyspark.sql import SparkSession

    host, port = host_port(url)
    if not process.port_open(host, port):
        return False
    try:
        with client_environment():
            session = SparkSession.builder.remote(url).create()
            try:
                return bool(session.range(1).count() == 1)
            finally:
                session.stop()
    except Exception as exc:
        log.debug("Spark Connect at %s does not answer yet: %s", url, exc)
        return False


def host_port(url: str) -> tuple[str, int]:
    netloc = url.removeprefix("sc://").split("/", 1)[0].split(";", 1)[0]
    host, _, port = netloc.partition(":")
    return host, int(port or DEFAULT_PORT)


@dataclass(frozen=True)
class ConnectServer(process.LocalServer):
    """A Spark Connect server this checkout runs: its folder, port and master.

    Its OpenLineage listener sends the events of every job it runs where
    ``lineage_env``'s OPENLINEAGE_URL and RETAIL_DATA_DIR say (default: this process's
    environment), as one application (:data:`LINEAGE_APP`) without an Airflow parent: the
    listener reads its parent once, when the server starts (docs/DEPLOY.md, "Lineage").
    """

    root: Path = STATE_DIR
    port: int = DEFAULT_PORT
    master: str = ""
    lineage_env: Mapping[str, str] | None = None
    label = "Spark Connect server"
    error = SparkConnectError

    @property
    def url(self) -> str:
        return f"sc://{HOST}:{self.port}"

    @property
    def address(self) -> str:
        return self.url

    @property
    def pid_file(self) -> Path:
        return self.root / "spark-connect.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def logs(self) -> str:
        return str(self.log_file)

    @property
    def marker(self) -> str:
        return f"spark.connect.grpc.binding.port={self.port}"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Start the server (a running one is left as it is) and wait until it answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        return super().start(timeout_s)

    def _ready(self) -> bool:
        return answers(self.url)

    def status(self) -> ServiceStatus:
        running = self.pid()
        return ServiceStatus(
            "spark-connect", self.url, running,
            healthy=running is not None and answers(self.url),
            detail=f"master {self.master or config.settings().spark_master}, log {self.log_file}",
            rss_bytes=process.rss_bytes(running) if running else None,
        )  # fmt: skip

    def command(self) -> list[str]:
        """The ``spark-submit`` command line of the server."""
        conf = {
            **SERVER_CONF,
            **lineage.spark_conf(LINEAGE_APP, self.lineage_env),
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.driver.memory": config.env("RETAIL_SPARK_DRIVER_MEMORY"),
        }
        options = batch_size.driver_java_options(small=False)  # long-lived: the full JIT
        if options:
            conf["spark.driver.extraJavaOptions"] = options
        jars = jvm.spark_jars()
        cmd = [str(spark_home() / "bin" / "spark-submit"), "--master", self._master()]
        if jars:
            cmd += ["--jars", ",".join(jars)]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        return [*cmd, "--class", SERVER_CLASS, "--name", "retail-spark-connect", "spark-internal"]

    def _master(self) -> str:
        return self.master or config.settings().spark_master

    def _launch(self) -> int:
        if process.port_open(HOST, self.port):
            raise SparkConnectError(
                f"Port {self.port} on {HOST} is taken by a process that is not a recorded "
                f"Spark Connect server of {self.root}; stop it, or use another port (--port)."
            )
        if shutil.which("java") is None:
            raise SparkConnectError("Spark needs Java 17 or newer on PATH; install a JDK first.")
        jvm.ensure("spark")
        env = {
            **os.environ,
            "SPARK_HOME": str(spark_home()),
            # Python workers (if a job ever needs one) use this venv, not the system Python
            "PYSPARK_PYTHON": sys.executable,
        }
        env.pop("PYSPARK_GATEWAY_PORT", None)
        return process.spawn(
            self.command(), self.log_file, self.pid_file, self.marker, cwd=self.root, env=env
        )


def free_port() -> int:
    """A loopback port free right now (tests run servers of their own)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def url() -> str:
    """Where jobs connect: SPARK_REMOTE, else the project's server."""
    return config.env("SPARK_REMOTE") or ConnectServer().url


def airflow_conn(remote: str) -> str:
    """The Airflow connection (JSON, for ``AIRFLOW_CONN_SPARK``) of a Connect server."""
    host, port = host_port(remote)
    return json.dumps({"conn_type": "spark_connect", "host": f"sc://{host}", "port": port})


def start(timeout_s: float = START_TIMEOUT_S) -> str:
    """Make a server reachable and return its URL (starts nothing for an external one)."""
    external = config.env("SPARK_REMOTE")
    if external:
        if not answers(external):
            raise SparkConnectError(
                f"Spark Connect at SPARK_REMOTE={external} does not answer; start that server "
                "or unset the variable to use the project's."
            )
        return external
    return ConnectServer().start(timeout_s)


def stop() -> bool:
    """Stop the project's server (never an external one); False when it was not running."""
    return ConnectServer().stop()


def status() -> ServiceStatus:
    external = config.env("SPARK_REMOTE")
    if external:
        return ServiceStatus("spark-connect", external, None, answers(external), managed=False)
    return ConnectServer().status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi.services.spark_connect",
        description="The project's Spark Connect server (127.0.0.1), shared by the Spark "
        "tasks when the Airflow connection 'spark' points at it. With SPARK_REMOTE set, "
        "start/status only check that server.",
    )
    parser.add_argument("command", choices=["start", "stop", "status", "airflow-conn"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="gRPC port (15002)")
    parser.add_argument("--master", default="", help="Spark master (default SPARK_MASTER)")
    parser.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="start timeout, s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    external = config.env("SPARK_REMOTE")
    server = ConnectServer(port=args.port, master=args.master)
    try:
        if args.command == "start":
            address = start(args.timeout) if external else server.start(args.timeout)
            print(f"Spark Connect: {address}" + (" (external)" if external else ""))
        elif args.command == "stop":
            print("Spark Connect: stopped" if server.stop() else "Spark Connect: was not running")
        elif args.command == "airflow-conn":
            print(airflow_conn(external or server.url))
        else:
            st = status() if external else server.status()
            pid = f", PID {st.pid}, RSS {process.human_bytes(st.rss_bytes)}" if st.pid else ""
            print(f"Spark Connect: {st.address} {st.state}{pid}; {st.detail}")
            return 0 if st.healthy or (st.pid is None and st.managed) else 1
    except (SparkConnectError, jvm.JvmArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
