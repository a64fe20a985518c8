"""The project's packages as a ``--py-files`` zip, so Spark executors can import them.

On ``local[*]`` the executors share the driver's Python and see the package anyway; on
a cluster (standalone, YARN, Kubernetes) they run on other hosts or containers, and any
closure, UDF or pickled object that refers to ``retail_kpi`` fails there with
``ModuleNotFoundError`` unless the code is shipped with the application. The zip holds
``retail_kpi`` and ``spark_jobs`` (the jobs' own modules), nothing else.

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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from retail_kpi.config import REPO_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent
#: Packages shipped to executors: the shared logic and the Spark jobs' modules.
PACKAGES: tuple[Path, ...] = (PACKAGE_DIR, REPO_ROOT / "spark_jobs")
#: Where ``make pyfiles`` and the Docker image put the archive (``build/`` is git-ignored).
DEFAULT_ZIP = REPO_ROOT / "build" / "retail_kpi.zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def _sources(packages: Sequence[Path] = PACKAGES) -> Iterator[tuple[str, Path]]:
    """``(name in the zip, file)`` for every file of the packages, in a stable order."""
    for package_dir in packages:
        if not (package_dir / "__init__.py").exists():
            continue  # a package that is not in this checkout
        for path in sorted(package_dir.rglob("*")):
            rel = path.relative_to(package_dir.parent)
            skip = _SKIP_DIRS.intersection(rel.parts) or path.suffix in _SKIP_SUFFIXES
            if path.is_file() and not skip:
                yield rel.as_posix(), path


def digest(packages: Sequence[Path] = PACKAGES) -> str:
    """SHA-256 over the names and bytes of the packages' files."""
    h = hashlib.sha256()
    for name, path in _sources(packages):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build(out: Path = DEFAULT_ZIP, packages: Sequence[Path] = PACKAGES) -> Path:
    """Write the zip to ``out`` atomically (readers never see half a file); return it."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".pyfiles-", suffix=".zip", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, path in _sources(packages):
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
            zf.comment = digest(packages).encode()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def ensure(out: Path = DEFAULT_ZIP, packages: Sequence[Path] = PACKAGES) -> Path:
    """Return ``out``, rebuilding it first when missing or older than the sources."""
    if out.exists():
        try:
            with zipfile.ZipFile(out) as zf:
                if zf.comment.decode() == digest(packages):
                    return out
        except zipfile.BadZipFile:
            pass
    return build(out, packages)


def origin() -> str:
    """Where this process imported ``retail_kpi`` from (a zip path on shipped executors)."""
    return __file__


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
