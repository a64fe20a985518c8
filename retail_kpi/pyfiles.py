"""The ``retail_kpi`` package as a ``--py-files`` zip, so Spark executors can import it.

On ``local[*]`` the executors share the driver's Python and see the package anyway; on
a cluster (standalone, YARN, Kubernetes) they run on other hosts or containers, and any
closure, UDF or pickled object that refers to ``retail_kpi`` fails there with
``ModuleNotFoundError`` unless the code is shipped with the application.

The zip is byte-reproducible (sorted entries, fixed timestamps) and records a digest of
its sources in its comment, so :func:`ensure` rebuilds it only when the code changed.

    python -m retail_kpi.pyfiles [--out build/retail_kpi.zip]   # prints the zip's path
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retail_kpi.config import REPO_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent
#: Where ``make pyfiles`` and the Docker image put the archive (``build/`` is git-ignored).
DEFAULT_ZIP = REPO_ROOT / "build" / "retail_kpi.zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def _sources(package_dir: Path = PACKAGE_DIR) -> Iterator[tuple[str, Path]]:
    """``(name in the zip, file)`` for every file of the package, in a stable order."""
    root = package_dir.parent
    for path in sorted(package_dir.rglob("*")):
        rel = path.relative_to(root)
        if path.is_dir() or _SKIP_DIRS.intersection(rel.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        yield rel.as_posix(), path


def digest(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the names and bytes of the package's files."""
    h = hashlib.sha256()
    for name, path in _sources(package_dir):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build(out: Path = DEFAULT_ZIP, package_dir: Path = PACKAGE_DIR) -> Path:
    """Write the zip to ``out`` atomically (readers never see half a file); return it."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".pyfiles-", suffix=".zip", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, path in _sources(package_dir):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
            zf.comment = digest(package_dir).encode()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def ensure(out: Path = DEFAULT_ZIP) -> Path:
    """Return ``out``, rebuilding it first when missing or older than the sources."""
    if out.exists():
        try:
            with zipfile.ZipFile(out) as zf:
                if zf.comment.decode() == digest():
                    return out
        except zipfile.BadZipFile:
            pass
    return build(out)


def ship(spark: Any) -> Path | None:
    """Add the package to a running session's executors unless the master is local.

    For jobs started without ``--py-files``: call it right after building the session.
    """
    if spark.sparkContext.master.startswith("local"):
        return None
    path = build(Path(tempfile.mkdtemp(prefix="retail-kpi-pyfiles-")) / "retail_kpi.zip")
    spark.sparkContext.addPyFile(str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the retail_kpi --py-files zip.")
    parser.add_argument("--out", type=Path, default=DEFAULT_ZIP, help="zip to write")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    path = build(args.out) if args.force else ensure(args.out)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
