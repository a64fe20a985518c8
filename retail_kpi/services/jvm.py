"""JVM artifacts from Maven, locked by sha256: the Kafka broker and Spark's extra jars.

``jvm/<group>/pom.xml`` says what a group needs; ``jvm/artifacts.lock`` pins every jar
the machine's ``mvn`` resolves for it (coordinates, file name, sha256; format in
:mod:`.jvm_lock`). The jars live in ``jars_dir()/<group>/`` and nothing resolves them at
run time: :func:`ensure` (``make jars``, the bootstrap) checks them against the lock,
fetches what is missing or corrupt with ``mvn`` (strict checksums), and fails naming the
file when it cannot.

The folder belongs to the lock: an unexpected ``*.jar`` in it is reported by ``verify``
and removed by :func:`ensure` (on a ``dir/*`` classpath a stale version left behind by a
bump would silently win or clash). ``python -m retail_kpi.services.jvm --help``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from importlib import metadata, util
from pathlib import Path

from retail_kpi.config import LOCAL_DIR, REPO_ROOT, env
from retail_kpi.services import process
from retail_kpi.services.jvm_lock import (
    GROUPS,
    LOCK_NAME,
    JvmArtifactError,
    LockedJar,
    Problem,
    artifact_names,
    format_lock,
    parse_lock,
)

__all__ = [
    "GROUPS",
    "JvmArtifactError",
    "classpath",
    "ensure",
    "ensure_all",
    "jars_dir",
    "spark_jars",
    "summary",
]

log = logging.getLogger(__name__)

SPARK_GROUP = "spark"
POM_ROOT = REPO_ROOT / "jvm"
LOCK_FILE = POM_ROOT / LOCK_NAME
#: Pinned, so every machine copies (and purges) with the same plugin whatever Maven's default.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MVN_TAIL_LINES = 25
_HASH_CHUNK = 1 << 20


def read_lock(path: Path | None = None) -> list[LockedJar]:
    path = path or LOCK_FILE
    try:
        return parse_lock(path.read_text())
    except FileNotFoundError:
        raise JvmArtifactError(f"{path} is missing: run `make jars-lock`.") from None


def locked(group: str) -> list[LockedJar]:
    """The group's entries in lock order."""
    if group not in GROUPS:
        raise JvmArtifactError(f"unknown JVM artifact group {group!r}; groups: {', '.join(GROUPS)}")
    return [j for j in read_lock() if j.group == group]


def jars_dir() -> Path:
    """Root of the jar folders (RETAIL_JARS_DIR, default ``.local/jars``)."""
    return Path(env("RETAIL_JARS_DIR") or LOCAL_DIR / "jars")


def group_dir(group: str) -> Path:
    return jars_dir() / group


def paths(group: str) -> list[Path]:
    """The group's jar paths in lock order, unverified (no hashing, no fetching)."""
    return [group_dir(group) / j.file for j in locked(group)]


def classpath(group: str) -> str:
    """A ``java -cp`` value of exactly the locked jars (call :func:`ensure` first)."""
    return os.pathsep.join(str(p) for p in paths(group))


def spark_jars() -> list[str]:
    """The ``spark`` group's jars for ``--jars`` / ``spark.jars`` (join with commas).

    Cheap (reads the lock, hashes nothing): the DAG builds its conf from it at parse time;
    the bootstrap has ensured the files.
    """
    return [str(p) for p in paths(SPARK_GROUP)]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check(group: str) -> list[Problem]:
    """Everything in the group folder that differs from the lock (hashing only)."""
    folder = group_dir(group)
    entries = locked(group)
    problems = []
    for jar in entries:
        path = folder / jar.file
        if not path.is_file():
            problems.append(Problem(group, jar.file, "missing", jar.sha256))
        elif (actual := sha256_of(path)) != jar.sha256:
            problems.append(Problem(group, jar.file, "corrupt", jar.sha256, actual))
    known = {j.file for j in entries}
    extra = sorted(p.name for p in folder.glob("*.jar")) if folder.is_dir() else []
    problems += [Problem(group, name, "unexpected") for name in extra if name not in known]
    return problems


def ensure(group: str) -> list[Path]:
    """The group's jars in lock order, verified; missing or corrupt ones are re-fetched.

    A jar still wrong after a fetch has its local Maven repository copy purged and is
    fetched once more; if it is still wrong the error names the file and both hashes.
    """
    entries = {j.file: j for j in locked(group)}
    with process.exclusive(jars_dir() / f".{group}.lock"):  # one repair of a group at a time
        problems = check(group)
        for extra in (p for p in problems if p.kind == "unexpected"):
            log.warning("removing %s", extra)
            (group_dir(group) / extra.file).unlink()
        bad = [entries[p.file] for p in problems if p.kind != "unexpected"]
        for purge_first in (False, True):
            if not bad:
                return paths(group)
            if purge_first:
                _purge(group, bad)
            log.info("%s: fetching %d jar(s) with mvn: %s", group, len(bad), _names(bad))
            _fetch(group, bad)
            problems = check(group)
            bad = [entries[p.file] for p in problems if p.kind != "unexpected"]
        if not bad:
            return paths(group)
    raise JvmArtifactError(
        "; ".join(map(str, problems)) + " (even after purging the local Maven repository's "
        "copy and fetching again): the repository serves other bytes than were locked. Check "
        "your Maven mirror (~/.m2/settings.xml), or re-lock on purpose with `make jars-lock`."
    )


def ensure_all() -> dict[str, list[Path]]:
    """:func:`ensure` for every group (the bootstrap's call)."""
    return {group: ensure(group) for group in GROUPS}


def summary(groups: dict[str, list[Path]]) -> str:
    """``kafka-broker: 45 jars, 44.6 MB; spark: ...`` for log lines."""
    return "; ".join(f"{g}: {len(f)} jars, {_megabytes(f):.1f} MB" for g, f in groups.items())


def _names(jars: Iterable[LockedJar], shown: int = 4) -> str:
    files = [j.file for j in jars]
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(files[:shown]) + more


def _purge(group: str, jars: list[LockedJar]) -> None:
    """Delete the jars' versions from the local Maven repository (wherever settings put it)."""
    log.warning("%s: purging from the local Maven repository: %s", group, _names(jars))
    ids = ",".join(sorted({j.maven_id for j in jars}))
    goal = f"{DEPENDENCY_PLUGIN}:purge-local-repository"
    _mvn(group, goal, f"-DmanualInclude={ids}", "-DreResolve=false", "-DactTransitively=false")


def _fetch(group: str, jars: list[LockedJar]) -> None:
    """Copy the group's dependencies with mvn into a scratch folder, keep the ``jars``."""
    group_dir(group).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".fetch-{group}-", dir=jars_dir()) as scratch:
        _copy_dependencies(group, Path(scratch))
        for jar in jars:
            src = Path(scratch) / jar.repository_path()
            if not src.is_file():
                raise JvmArtifactError(
                    f"mvn did not resolve {jar.coordinates} for jvm/{group}/pom.xml: the pom "
                    "and the lock disagree; run `make jars-lock` after changing a pom."
                )
            os.replace(src, group_dir(group) / jar.file)


def _copy_dependencies(group: str, dest: Path) -> None:
    goal = f"{DEPENDENCY_PLUGIN}:copy-dependencies"
    _mvn(group, goal, f"-DoutputDirectory={dest}", "-DincludeScope=runtime",
         "-Dmdep.useRepositoryLayout=true")  # fmt: skip


def _mvn(group: str, *args: str) -> None:
    """Run the machine's mvn on a group's pom (~/.m2/settings.xml decides mirrors, proxies)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JvmArtifactError("mvn is not on PATH: install Maven 3.8+ (apt-get install maven).")
    cmd = [mvn, "-q", "-B", "-C", "-f", str(POM_ROOT / group / "pom.xml"), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-MVN_TAIL_LINES:])
        raise JvmArtifactError(
            f"mvn failed for jvm/{group}/pom.xml (exit {done.returncode}); check the network "
            f"or your Maven mirror in ~/.m2/settings.xml. Last output:\n{tail}"
        )


def resolve(group: str) -> list[LockedJar]:
    """What mvn resolves for the group's pom now, hashed: the group's lines of a new lock."""
    jars_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".lock-{group}-", dir=jars_dir()) as scratch:
        root = Path(scratch)
        _copy_dependencies(group, root)
        jars = [
            LockedJar.from_repository_path(group, p.relative_to(root), sha256_of(p))
            for p in sorted(root.rglob("*.jar"))
        ]
    if group == SPARK_GROUP:
        _check_against_pyspark(jars)
    return jars


def pyspark_jars_dir() -> Path:
    spec = util.find_spec("pyspark")  # not imported: the DAG processor loads this module
    if spec is None or spec.origin is None:
        raise JvmArtifactError("pyspark is not installed: run `make venv` first.")
    return Path(spec.origin).parent / "jars"


def _check_against_pyspark(jars: list[LockedJar]) -> None:
    """The spark group adds to pyspark's jars: no second copy of one, the same Spark version."""
    shipped = set().union(*(artifact_names(p.name) for p in pyspark_jars_dir().glob("*.jar")))
    twice = sorted(j.coordinates for j in jars if j.artifact_id in shipped)
    if twice:
        raise JvmArtifactError(
            f"pyspark already ships {', '.join(twice)}: add an <exclusion> to "
            "jvm/spark/pom.xml (or decide there, on purpose, which version wins)."
        )
    pyspark_version = metadata.version("pyspark")
    spark = [j for j in jars if j.coordinates.startswith("org.apache.spark:")]
    if off := [j.coordinates for j in spark if j.version != pyspark_version]:
        raise JvmArtifactError(f"{', '.join(off)} do not match pyspark {pyspark_version}.")


def lock() -> list[LockedJar]:
    """Re-resolve every group with mvn, rewrite the lock, then bring the folders in line."""
    jars = [jar for group in GROUPS for jar in resolve(group)]
    LOCK_FILE.write_text(format_lock(jars))
    ensure_all()
    return jars


def _megabytes(files: Iterable[Path]) -> float:
    return sum(p.stat().st_size for p in files) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_kpi.services.jvm",
        description=f"JVM artifacts of jvm/{LOCK_NAME}, kept in RETAIL_JARS_DIR/<group> "
        "(default .local/jars/<group>) and fetched with the machine's mvn.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("fetch", "verify the groups' jars, fetch missing/corrupt ones with mvn, drop extras"),
        ("verify", "check the groups' jars against the lock; exit 1 when anything is off"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("groups", nargs="*", metavar="group", help=f"default: {' '.join(GROUPS)}")
    sub.add_parser("lock", help=f"re-resolve every group with mvn and rewrite jvm/{LOCK_NAME}")
    sub.add_parser("classpath", help="print a group's java -cp value").add_argument(
        "group", choices=GROUPS
    )
    args = parser.parse_args(argv)
    if unknown := [g for g in getattr(args, "groups", []) if g not in GROUPS]:
        parser.error(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(GROUPS)}")
    try:
        return _run(args)
    except JvmArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command == "classpath":
        print(classpath(args.group))
        return 0
    if args.command == "lock":
        jars = lock()
        for group in GROUPS:
            print(f"{group}: {sum(j.group == group for j in jars)} jars locked")
        print(f"wrote {LOCK_FILE.relative_to(REPO_ROOT)}")
        return 0
    failed = False
    for group in args.groups or GROUPS:
        started = time.perf_counter()
        if args.command == "fetch":
            files, problems = ensure(group), []
        else:
            problems = check(group)
            files = [p for p in paths(group) if p.is_file()]
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        failed |= bool(problems)
        verdict = f"{len(problems)} problem(s)" if problems else "ok"
        print(
            f"{group}: {len(files)} jars, {_megabytes(files):.1f} MB in {group_dir(group)}: "
            f"{verdict} ({time.perf_counter() - started:.2f} s)"
        )
    if failed:
        print(f"error: the jars differ from {LOCK_NAME}; run `make jars`.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    sys.exit(main())
