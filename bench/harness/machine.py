"""What the figures were measured on: machine, load, versions, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any

import psutil

from retail_kpi.config import REPO_ROOT


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _postgres_version(url: str) -> str:
    """Server version, asked of its ``postgres`` database (``url``'s may not exist yet)."""
    from retail_kpi.warehouse.db import connect, with_database

    try:
        with connect(with_database(url, "postgres"), etl_role=False) as conn:
            row = conn.execute("show server_version").fetchone()
        return str(row[0]) if row else "?"
    except Exception:  # the report must not fail for a version string
        return "?"


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def describe(url: str) -> dict[str, Any]:
    import pyspark

    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "mem_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_start": load_average(),
        "python": platform.python_version(),
        "spark": pyspark.__version__,
        "postgres": _postgres_version(url),
    }


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return out.stdout.rstrip("\n")  # not strip(): porcelain lines start with a space

    changed = [ln[3:] for ln in git("status", "--porcelain").splitlines() if ln.strip()]
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "dirty": bool(changed),
        "changed": changed,
    }
