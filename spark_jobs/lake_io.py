"""File-system side of the jobs: listing landing files, replacing partitions, audit files.

Goes through Hadoop's FileSystem API (via the session's JVM) so the same code works on a
local disk, HDFS or an object store.
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import DataFrame, SparkSession


def fs_path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, hpath


def landing_listing(spark: SparkSession, root: str, day: str) -> tuple[dict[str, int], list[str]]:
    """(path relative to ``root`` -> bytes of every file under ``<root>/*/dt=<day>/``,
    top-level folder names): the input of :func:`retail_kpi.landing.select`."""
    fs, hpath = fs_path(spark, root)
    if not fs.exists(hpath):
        return {}, []
    found: dict[str, int] = {}
    folders = sorted(s.getPath().getName() for s in fs.listStatus(hpath) if s.isDirectory())
    for top in folders:
        base = hpath.suffix(f"/{top}/dt={day}")
        if not fs.exists(base):
            continue
        files = fs.listFiles(base, True)  # recursive iterator of LocatedFileStatus
        prefix = f"{top}/dt={day}/"
        base_uri = str(fs.makeQualified(base).toUri().getPath()).rstrip("/") + "/"
        while files.hasNext():
            status = files.next()
            full = str(status.getPath().toUri().getPath())
            found[prefix + full[len(base_uri) :]] = int(status.getLen())
    return found, folders


def read_text(spark: SparkSession, path: str) -> str | None:
    """A small text file's content (the done-marker), None when it does not exist."""
    fs, hpath = fs_path(spark, path)
    if not fs.exists(hpath):
        return None
    stream = fs.open(hpath)
    try:
        jvm = spark.sparkContext._jvm
        assert jvm is not None
        data = jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
    finally:
        stream.close()
    return bytes(data).decode("utf-8")


def total_bytes(spark: SparkSession, paths: list[str]) -> int:
    """Summed size of files or directories (recursively), 0 for paths that do not exist."""
    total = 0
    for path in paths:
        fs, hpath = fs_path(spark, path)
        if fs.exists(hpath):
            total += int(fs.getContentSummary(hpath).getLength())
    return total


def exists(spark: SparkSession, path: str) -> bool:
    fs, hpath = fs_path(spark, path)
    return bool(fs.exists(hpath))


def glob(spark: SparkSession, pattern: str) -> list[str]:
    """Paths matching a Hadoop glob pattern, sorted (empty when none)."""
    fs, hpath = fs_path(spark, pattern)
    return sorted(status.getPath().toString() for status in fs.globStatus(hpath) or [])


def delete_glob(spark: SparkSession, pattern: str) -> int:
    """Delete every path matching ``pattern`` recursively; returns how many."""
    fs, hpath = fs_path(spark, pattern)
    matches = fs.globStatus(hpath) or []
    for status in matches:
        fs.delete(status.getPath(), True)
    return len(matches)


def remove(spark: SparkSession, path: str) -> None:
    """Delete a file or a folder (recursively); nothing when it does not exist."""
    fs, hpath = fs_path(spark, path)
    fs.delete(hpath, True)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write (replace) a small text file, e.g. the reconciliation report."""
    fs, hpath = fs_path(spark, path)
    out = fs.create(hpath, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def write_json(spark: SparkSession, path: str, doc: dict[str, Any]) -> None:
    write_text(spark, path, json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")


def replace_partition(df: DataFrame, path: str) -> None:
    """Overwrite one partition directory (bronze, quarantine, audit) with ``df``."""
    df.write.mode("overwrite").parquet(path)


def read_parquet_or_none(spark: SparkSession, path: str) -> DataFrame | None:
    """The Parquet dataset at ``path``, or None when nothing was written there yet."""
    if not exists(spark, path):
        return None
    return spark.read.parquet(path)
