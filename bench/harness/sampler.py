"""Run one command and measure it: wall time, CPU time and peak RSS of its process tree.

A Spark task is ``spark-submit`` -> JVM -> Python driver -> Python workers, so the memory
of the process we start says little; we sample the sum over the whole tree instead. Each
process counts its proportional set size (PSS: private pages plus its share of pages it
shares), so pages shared between processes are counted once: a JVM that forks a helper
(Hadoop's local file system runs shell commands) or forked Python workers do not double
the figure, as a plain sum of RSS would. Where PSS cannot be read, RSS is used.
CPU time comes from ``getrusage(RUSAGE_CHILDREN)`` deltas, which include every
descendant that was waited for (the JVM waits for its Python driver, and so on).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

#: Seconds between two samples of the process tree: short enough to see a JVM's or a
#: pandas frame's peak (they last seconds), long enough that reading PSS (the kernel walks
#: the page tables: ~20 ms for a 6 GiB process) costs the measured stage ~4 % of a core.
SAMPLE_EVERY = 0.5
MIB = 1024 * 1024


@dataclass(frozen=True)
class Measured:
    """What one command cost."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    started_at: float  # time.time() right before the process was started
    peak_by_program: dict[str, float]  # MiB per program name at the peak


def _resident(p: psutil.Process) -> int:
    """PSS from ``/proc/<pid>/smaps_rollup`` (one short read instead of psutil's parse of
    the whole ``smaps``), else RSS."""
    try:
        with open(f"/proc/{p.pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(p.memory_info().rss)


def tree_rss(pid: int) -> dict[str, int]:
    """Resident bytes (PSS) of ``pid`` and its descendants by program name (java, python).

    A new ``psutil.Process`` per sample: psutil caches a process's executable, and
    ``spark-submit`` is a shell script that replaces itself with the JVM."""
    out: dict[str, int] = {}
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return out
    for p in members:
        try:
            name = Path(p.exe() or p.name()).name
            out[name] = out.get(name, 0) + _resident(p)
        except psutil.Error:
            continue
    return out


class PeakSampler:
    """Background thread that keeps the highest tree RSS seen for one process."""

    def __init__(self, pid: int, every: float = SAMPLE_EVERY) -> None:
        self.peak = 0
        self.at_peak: dict[str, int] = {}  # the tree's RSS by program when it peaked
        self._pid = pid
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"rss-{pid}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            sample = tree_rss(self._pid)
            if sum(sample.values()) > self.peak:
                self.peak, self.at_peak = sum(sample.values()), sample
            self._stop.wait(self._every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate the process group we started (JVM and Python workers included)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    cmd: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> Measured:
    """Run ``cmd`` to completion with its output in ``log``; never raises on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu0 = _children_cpu()
    with log.open("w") as out:
        started_at = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd or os.getcwd(),
            start_new_session=True,  # its own process group, so an interrupt ends all of it
        )
        try:
            with PeakSampler(proc.pid) as sampler:
                returncode = proc.wait()
        except BaseException:
            stop_group(proc)
            raise
        wall = time.perf_counter() - t0
    return Measured(
        returncode=returncode,
        wall_s=wall,
        cpu_s=_children_cpu() - cpu0,
        peak_rss_mib=sampler.peak / MIB,
        started_at=started_at,
        peak_by_program={k: v / MIB for k, v in sorted(sampler.at_peak.items())},
    )
