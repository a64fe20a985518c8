"""File-system side of the jobs: listing landing files, replacing partitions, audit files.

Every path is a URI (a plain path is a local one) handled through fsspec, one layer for a
local disk, HDFS (``hdfs://``) or an object store (``s3a://`` with ``s3fs`` installed). It
runs in the job's Python process, never in the JVM, so a job works the same with a Spark
session of its own or as a client of a shared Spark Connect server.
"""

from __future__ import annotations

import json
from typing import Any

import fsspec
from fsspec.core import url_to_fs
from pyspark.sql import DataFrame, SparkSession


def fs_path(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The file system holding ``path`` and the path in that file system's terms."""
    return url_to_fs(path)


def _uri(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """A path as Spark should read it: with its scheme (``file:///...`` for a local one),
    so a cluster whose default file system is HDFS still reads the local lake."""
    return str(fs.unstrip_protocol(path))


def landing_listing(root: str, day: str) -> tuple[dict[str, int], list[str]]:
    """(path relative to ``root`` -> bytes of every file under ``<root>/*/dt=<day>/``,
    top-level folder names): the input of :func:`retail_kpi.landing.select`."""
    fs, base = fs_path(root)
    if not fs.exists(base):
        return {}, []
    base = base.rstrip("/")
    folders = sorted(
        str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
        for entry in fs.ls(base, detail=True)
        if entry["type"] == "directory"
    )
    found: dict[str, int] = {}
    for top in folders:
        folder = f"{base}/{top}/dt={day}"
        if not fs.isdir(folder):
            continue
        for name, info in fs.find(folder, detail=True).items():
            found[f"{top}/dt={day}/{name[len(folder) + 1 :]}"] = int(info["size"])
    return found, folders


def read_text(path: str) -> str | None:
    """A small text file's content (the done-marker), None when it does not exist."""
    fs, p = fs_path(path)
    if not fs.exists(p):
        return None
    return bytes(fs.cat_file(p)).decode("utf-8")


def total_bytes(paths: list[str]) -> int:
    """Summed size of files or directories (recursively), 0 for paths that do not exist."""
    total = 0
    for path in paths:
        fs, p = fs_path(path)
        if fs.exists(p):
            total += int(fs.du(p, total=True))
    return total


def exists(path: str) -> bool:
    fs, p = fs_path(path)
    return bool(fs.exists(p))


def glob(pattern: str) -> list[str]:
    """URIs of the paths matching a glob pattern, sorted (empty when none)."""
    fs, p = fs_path(pattern)
    return sorted(_uri(fs, match) for match in fs.glob(p))


def delete_glob(pattern: str) -> int:
    """Delete every path matching ``pattern`` recursively; returns how many."""
    fs, p = fs_path(pattern)
    matches = fs.glob(p)
    for match in matches:
        fs.rm(match, recursive=True)
    return len(matches)


def remove(path: str) -> None:
    """Delete a file or a folder (recursively); nothing when it does not exist."""
    fs, p = fs_path(path)
    if fs.exists(p):
        fs.rm(p, recursive=True)


def move(src: str, dst: str) -> None:
    """Move a file or folder to ``dst``, replacing what is there and creating ``dst``'s
    parent: one rename on a local disk or HDFS (an object store copies, then deletes)."""
    fs, s = fs_path(src)
    d = fs_path(dst)[1]
    if fs.exists(d):
        fs.rm(d, recursive=True)
    parent = d.rstrip("/").rsplit("/", 1)[0]
    if parent:
        fs.makedirs(parent, exist_ok=True)
    fs.mv(s, d, recursive=True)


def write_text(path: str, text: str) -> None:
    """Write (replace) a small text file, e.g. the reconciliation report."""
    fs, p = fs_path(path)
    parent = p.rstrip("/").rsplit("/", 1)[0]
    if parent:
        fs.makedirs(parent, exist_ok=True)
    fs.pipe_file(p, text.encode("utf-8"))


def write_json(path: str, doc: dict[str, Any]) -> None:
    write_text(path, json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")


def replace_partition(df: DataFrame, path: str) -> None:
    """Overwrite one partition directory (bronze, quarantine, audit) with ``df``."""
    df.write.mode("overwrite").parquet(path)


def read_parquet_or_none(spark: SparkSession, path: str) -> DataFrame | None:
    """The Parquet dataset at ``path``, or None when nothing was written there yet."""
    if not exists(path):
        return None
    return spark.read.parquet(path)
