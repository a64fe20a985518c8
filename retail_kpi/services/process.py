"""Processes the project started: PID files, ownership checks, status and stopping.

A PID alone is not proof: after a reboot or a crash the number may belong to someone
else's process. Every check therefore also requires a *marker* (a path unique to this
checkout, e.g. the service's data folder) in the process's command line, so ``stop``
never signals a process it did not start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ServiceStatus:
    """One line of ``make services``: what runs, where, as which process, how healthy."""

    name: str
    address: str
    pid: int | None
    healthy: bool
    detail: str = ""
    rss_bytes: int | None = None
    managed: bool = True  # False: an external service the project only uses

    @property
    def state(self) -> str:
        if not self.managed:
            return "external, " + ("reachable" if self.healthy else "UNREACHABLE")
        if self.pid is None:
            return "stopped"
        return "running, healthy" if self.healthy else "running, NOT healthy"


def cmdline(pid: int) -> str:
    """The process's command line ('' when it does not exist or is not readable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def is_ours(pid: int, marker: str) -> bool:
    """True when ``pid`` runs and its command line contains ``marker``."""
    return pid > 0 and marker in cmdline(pid)


def read_pid(pid_file: Path, marker: str) -> int | None:
    """The PID recorded in ``pid_file`` if that process still runs and is ours."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if is_ours(pid, marker) else None


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{pid}\n")


def rss_bytes(pid: int) -> int | None:
    """Memory of ``pid`` and its children (None when gone).

    Proportional set size (PSS) where /proc has it: PostgreSQL's backends share their
    buffers, and summing resident sizes would count the shared memory once per process.
    """
    total, found = 0, False
    for p in [pid, *_children(pid)]:
        for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
            with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
                line = next(
                    x
                    for x in Path(f"/proc/{p}/{name}").read_text().splitlines()
                    if x.startswith(key)
                )
                total += int(line.split()[1]) * 1024
                found = True
                break
    return total if found else None


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                kids = [int(k) for k in (task / "children").read_text().split()]
                for kid in kids:
                    out += [kid, *_children(kid)]
    return out


def stop(pid: int, marker: str, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM ``pid`` (only if ours), SIGKILL after ``timeout_s``; True if it was running."""
    if not is_ours(pid, marker):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while is_ours(pid, marker) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if is_ours(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while is_ours(pid, marker):
            _reap(pid)
            time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our child (a zombie keeps its /proc entry otherwise)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created if missing) while the block runs.

    For work on one machine's local folder (starting a broker, repairing a jar folder) that
    `make`, the bootstrap and a test session may attempt at the same time.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def port_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit in ("B", "KiB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def spawn(
    cmd: list[str],
    log_file: Path,
    pid_file: Path,
    marker: str,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> int:
    """Start ``cmd`` in a session of its own (it outlives the caller), output appended to
    ``log_file``; record its PID and return it once the process shows ``marker`` (until
    exec, a forked child still shows this Python's command line, or none)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        child = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True,
        )  # fmt: skip
    write_pid(pid_file, child.pid)
    while child.poll() is None and not is_ours(child.pid, marker):
        time.sleep(0.01)
    return child.pid


#: How often, and how far apart, a server that looks gone while starting is looked at again.
EXEC_RECHECKS = 10
EXEC_RECHECK_S = 0.05


class LocalServer:
    """A server this checkout runs as one recorded process (the Kafka broker, the Spark
    Connect server): :meth:`start` is idempotent and one start of a folder runs at a time,
    :meth:`stop` signals only the recorded PID, and only while it is still ours.

    A subclass (a frozen dataclass) gives ``root``, ``pid_file``, ``marker`` (a string of
    the server's command line), ``address``, ``label``, ``logs`` and ``error``, and
    implements :meth:`_launch` (start the process, record its PID) and :meth:`_ready`.
    """

    root: Path
    label: str = "server"
    error: type[Exception] = RuntimeError
    poll_s: float = 0.25

    @property
    def pid_file(self) -> Path:
        raise NotImplementedError

    @property
    def marker(self) -> str:
        raise NotImplementedError

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def logs(self) -> str:
        """Where to look when it does not start (named in the error)."""
        raise NotImplementedError

    def _launch(self) -> int:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def pid(self) -> int | None:
        """PID of this server when it runs (a recorded PID of another process is ignored)."""
        return read_pid(self.pid_file, self.marker)

    def start(self, timeout_s: float) -> str:
        """Start the server (a running one is left as it is), wait until it is ready, and
        return its address."""
        with exclusive(self.root / ".start.lock"):
            running = self.pid()
            if running is None:
                running = self._launch()
            self._wait_ready(running, timeout_s)
        log.info("%s on %s (PID %d; %s)", self.label, self.address, running, self.logs)
        return self.address

    def stop(self) -> bool:
        """Stop this server by its recorded PID; False when it was not running."""
        running = self.pid()
        if running is None:
            return False
        stop(running, self.marker)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _running(self, pid: int) -> bool:
        """Whether ``pid`` is still this server, read again for a moment when it looks gone:
        while a process execs (spark-submit's shell becoming the JVM), /proc/<pid>/cmdline
        can read empty, and under load that window outlasts two reads in a row."""
        for _ in range(EXEC_RECHECKS):
            if is_ours(pid, self.marker):
                return True
            time.sleep(EXEC_RECHECK_S)
        return False

    def _wait_ready(self, pid: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._running(pid):
                break
            if self._ready():
                return
            time.sleep(self.poll_s)
        alive = self._running(pid)
        if alive:
            stop(pid, self.marker)
        self.pid_file.unlink(missing_ok=True)
        what = f"was not ready after {timeout_s:.0f} s" if alive else "exited while starting"
        raise self.error(f"The {self.label} on {self.address} {what}; see {self.logs}.")
