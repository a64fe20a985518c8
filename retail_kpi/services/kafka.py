"""The project's own Kafka broker, for machines that run none.

Apache Kafka 4.4 in KRaft mode, one JVM that is both broker and controller, listening on
127.0.0.1 only (plaintext, no authentication: loopback is the security boundary). Its jars
are the locked ``kafka-broker`` group of :mod:`.jvm`; everything else lives under
``.local/kafka/``: ``server.properties`` and ``log4j2.properties`` (generated at each start
from :mod:`.kafka_config`, which says what the broker runs with and why), the ``data/``
folder (formatted once by ``kafka.tools.StorageTool format --standalone``: a single-node
dynamic quorum), ``logs/`` and the PID file. The server.properties path is the process
*marker*: :func:`stop` only signals a process whose command line names it.

``KAFKA_BOOTSTRAP_SERVERS`` set = use that cluster and start nothing. Tests run brokers of
their own: :class:`LocalBroker` with a temporary folder and free ports.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from retail_kpi import config
from retail_kpi.services import jvm, process
from retail_kpi.services import kafka_config as settings
from retail_kpi.services.kafka_config import DEFAULT_CONTROLLER_PORT, DEFAULT_PORT, HOST
from retail_kpi.services.process import ServiceStatus

log = logging.getLogger(__name__)

STATE_DIR = config.LOCAL_DIR / "kafka"
JAR_GROUP = "kafka-broker"
START_TIMEOUT_S = 90.0
HEALTH_TIMEOUT_S = 5.0
POLL_S = 0.25


class KafkaError(RuntimeError):
    """The broker could not be started or reached; the message says why and what to do."""


def healthy(servers: str | None = None, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when ``servers`` answer a metadata request listing at least one broker.

    A broker appears in metadata only once it is registered and unfenced, so this is
    "ready for clients", not merely "port open".
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    # log_level 0: connection-refused noise while a broker starts is expected, not news.
    admin = AdminClient({"bootstrap.servers": servers or bootstrap_servers(), "log_level": 0})
    try:
        return bool(admin.list_topics(timeout=timeout_s).brokers)
    except KafkaException:
        return False


@dataclass(frozen=True)
class LocalBroker(process.LocalServer):
    """A broker this checkout runs: its folder and its two loopback ports."""

    root: Path = STATE_DIR
    port: int = DEFAULT_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT
    label = "Kafka broker"
    error = KafkaError

    @classmethod
    def at(
        cls, root: Path = STATE_DIR, port: int | None = None, controller_port: int | None = None
    ) -> LocalBroker:
        """The broker of ``root``, on the ports it was last started with unless given."""
        recorded = settings.recorded_ports(root / "server.properties")
        return cls(root, port or recorded[0], controller_port or recorded[1])

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def server_properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def pid_file(self) -> Path:
        return self.root / "kafka.pid"

    @property
    def marker(self) -> str:
        return str(self.server_properties.resolve())

    @property
    def logs(self) -> str:
        return f"{self.logs_dir / 'server.log'} and {self.logs_dir / 'kafka.out'}"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Format (first time), start and wait until healthy; return the address.

        Idempotent: a running healthy broker of this folder is left as it is.
        """
        return super().start(timeout_s)

    def _ready(self) -> bool:
        return process.port_open(HOST, self.port) and healthy(self.address, timeout_s=2.0)

    def status(self) -> ServiceStatus:
        running = self.pid()
        return ServiceStatus(
            "kafka", self.address, running,
            healthy=running is not None and healthy(self.address),
            detail=f"data {self.data_dir}, log {self.logs_dir / 'server.log'}",
            rss_bytes=process.rss_bytes(running) if running else None,
        )  # fmt: skip

    def _write_config(self) -> None:
        self.server_properties.write_text(
            settings.server_properties(self.port, self.controller_port, self.data_dir.resolve())
        )
        (self.root / "log4j2.properties").write_text(
            settings.log4j2_properties(self.logs_dir.resolve())
        )

    def _java(self, main_class: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaError("Kafka needs Java 17 or newer on PATH; install a JDK or JRE first.")
        classpath = jvm.classpath(JAR_GROUP)  # _launch has ensured the jars
        log4j = self.root.resolve() / "log4j2.properties"
        return [
            java, *settings.JVM_OPTS, f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={self.logs_dir.resolve()}", "-cp", classpath, main_class, *args,
        ]  # fmt: skip

    def _format(self) -> None:
        """Format the data folder once: a new cluster id, a single-node dynamic quorum."""
        cmd = self._java(
            "kafka.tools.StorageTool", "format", "--config", str(self.server_properties),
            "--cluster-id", settings.cluster_id(), "--standalone",
        )  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
            raise KafkaError(f"Formatting Kafka storage in {self.data_dir} failed: {tail[0]}")

    def _launch(self) -> int:
        for port in (self.port, self.controller_port):
            if process.port_open(HOST, port):
                raise KafkaError(
                    f"Port {port} on {HOST} is taken by a process that is not a recorded "
                    f"broker of {self.root}; stop it, or start Kafka on other ports "
                    "(--port/--controller-port)."
                )
        jvm.ensure(JAR_GROUP)  # verified once per start: format and broker share the jars
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            log.info("formatting Kafka storage %s", self.data_dir)
            self._format()
        cmd = self._java("kafka.Kafka", str(self.server_properties.resolve()))
        return process.spawn(
            cmd, self.logs_dir / "kafka.out", self.pid_file, self.marker, cwd=self.root
        )


def bootstrap_servers() -> str:
    """Where clients connect: KAFKA_BOOTSTRAP_SERVERS, else the project's broker."""
    return config.env("KAFKA_BOOTSTRAP_SERVERS") or LocalBroker.at().address


def start(timeout_s: float = START_TIMEOUT_S) -> str:
    """Make a broker reachable and return its address (starts nothing for an external one)."""
    external = config.env("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        if not healthy(external, timeout_s=min(timeout_s, 15.0)):
            raise KafkaError(
                f"Kafka at KAFKA_BOOTSTRAP_SERVERS={external} does not answer a metadata "
                "request; start that cluster or unset the variable to use the project's broker."
            )
        return external
    return LocalBroker.at().start(timeout_s)


def stop() -> bool:
    """Stop the project's broker (never an external one); False when it was not running."""
    return LocalBroker.at().stop()


def status() -> ServiceStatus:
    external = config.env("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        return ServiceStatus("kafka", external, None, healthy(external), managed=False)
    return LocalBroker.at().status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi.services.kafka",
        description="The project's Kafka broker (KRaft, single node, 127.0.0.1). With "
        "KAFKA_BOOTSTRAP_SERVERS set, start/status only check that cluster.",
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--port", type=int, help=f"broker port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--controller-port",
        type=int,
        help=f"KRaft controller port (default {DEFAULT_CONTROLLER_PORT})",
    )
    parser.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="start timeout, s")
    args = parser.parse_args(argv)
    external = config.env("KAFKA_BOOTSTRAP_SERVERS")
    broker = LocalBroker.at(port=args.port, controller_port=args.controller_port)
    try:
        if args.command == "start":
            address = start(args.timeout) if external else broker.start(args.timeout)
            print(
                f"Kafka: {address}" + (" (external)" if external else f" (data {broker.data_dir})")
            )
        elif args.command == "stop":
            print("Kafka: stopped" if broker.stop() else "Kafka: was not running")
        else:
            st = status() if external else broker.status()
            pid = f", PID {st.pid}, RSS {process.human_bytes(st.rss_bytes)}" if st.pid else ""
            print(f"Kafka: {st.address} {st.state}{pid}" + (f"; {st.detail}" if st.detail else ""))
            return 0 if st.healthy or (st.pid is None and st.managed) else 1
    except (KafkaError, jvm.JvmArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
