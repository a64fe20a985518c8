"""JVM artifacts (retail_kpi/services/jvm.py) against the real lock, folders, mvn and Maven.

The lock pins every jar of every group folder by sha256. Damage is done to copies: the
group folders are copied under tmp_path (RETAIL_JARS_DIR points there), and the tests
that corrupt the local Maven repository use a copy of it (MAVEN_OPTS=-Dmaven.repo.local),
so neither the developer's jars nor their ~/.m2 are touched. Each repair is a real mvn run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from retail_kpi.airflow_env import airflow_env
from retail_kpi.services import jvm
from retail_kpi.services.jvm_lock import artifact_names

pytestmark = pytest.mark.integration

GROUP = "kafka-broker"  # the repairs use its small jars
SMALL_JAR = "slf4j-api-1.7.36.jar"
OTHER_SMALL_JAR = "jopt-simple-5.0.4.jar"
LISTENER = "io.openlineage.spark.agent.OpenLineageSparkListener"
LOCAL_REPOSITORY = Path.home() / ".m2" / "repository"


@pytest.fixture(scope="module")
def real_jars() -> dict[str, list[Path]]:
    """The project's own folders, made whole first (fast when they already are)."""
    return jvm.ensure_all()


@pytest.fixture
def jars_copy(real_jars, tmp_path, monkeypatch) -> Path:
    """A copy of the jar folders, which RETAIL_JARS_DIR now points at."""
    root = tmp_path / "jars"
    for group in jvm.GROUPS:
        shutil.copytree(real_jars[group][0].parent, root / group)
    monkeypatch.setenv("RETAIL_JARS_DIR", str(root))
    return root


@pytest.fixture
def local_repository(tmp_path, monkeypatch) -> Path:
    """A copy of the local Maven repository that mvn uses instead of ~/.m2/repository."""
    if not LOCAL_REPOSITORY.is_dir():  # ensure_all() above filled it on this machine
        pytest.fail(f"no local Maven repository at {LOCAL_REPOSITORY}")
    copy = tmp_path / "m2"
    shutil.copytree(LOCAL_REPOSITORY, copy, symlinks=True)
    monkeypatch.setenv("MAVEN_OPTS", f"-Dmaven.repo.local={copy}")
    return copy


def flip_bytes(path: Path) -> None:
    """Rewrite the file (a new inode) with some bytes in the middle inverted."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.unlink()
    path.write_bytes(bytes(data))


def locked(group: str, file: str) -> jvm.LockedJar:
    return next(j for j in jvm.locked(group) if j.file == file)


def test_every_lock_line_has_coordinates_a_file_and_a_sha256() -> None:
    rows = [r for r in jvm.LOCK_FILE.read_text().splitlines() if r and not r.startswith("#")]
    assert rows and len(rows) == len(jvm.read_lock())
    for row in rows:
        group, coordinates, file, sha256 = row.split("\t")
        assert group in jvm.GROUPS and file.endswith(".jar"), row
        assert re.fullmatch(r"[^:]+:[^:]+:[^:]+(:[^:]+)?", coordinates), row
        assert re.fullmatch(r"[0-9a-f]{64}", sha256), row
    assert {j.group for j in jvm.read_lock()} == set(jvm.GROUPS)


def test_the_lock_pins_every_jar_in_every_group_folder(real_jars) -> None:
    for group, jars in real_jars.items():
        folder = jvm.group_dir(group)
        assert sorted(p.name for p in folder.glob("*.jar")) == sorted(p.name for p in jars)
        expected = {j.file: j.sha256 for j in jvm.locked(group)}
        assert {p.name: jvm.sha256_of(p) for p in jars} == expected
    assert jvm.main(["verify"]) == 0


def test_the_spark_group_only_adds_to_pyspark_and_matches_its_version(real_jars) -> None:
    shipped = set().union(*(artifact_names(p.name) for p in jvm.pyspark_jars_dir().glob("*.jar")))
    spark = jvm.locked("spark")
    assert not [j.coordinates for j in spark if j.artifact_id in shipped]
    ids = {j.coordinates.rsplit(":", 1)[0]: j.version for j in spark}
    assert ids["org.apache.spark:spark-sql-kafka-0-10_2.13"] == metadata.version("pyspark")
    assert ids["io.openlineage:openlineage-spark_2.13"].startswith("1.")
    assert jvm.spark_jars() == [str(p) for p in real_jars["spark"]]


def test_the_kafka_broker_classpath_holds_a_logging_binding(real_jars) -> None:
    """kafka_2.13's pom has no SLF4J binding; without one the broker would log nothing."""
    names = {p.name for p in real_jars["kafka-broker"]}
    assert any(n.startswith("kafka_2.13-4.") for n in names)
    assert any(n.startswith("log4j-slf4j-impl-") for n in names)
    assert jvm.classpath("kafka-broker").split(":") == [str(p) for p in real_jars["kafka-broker"]]


def test_an_unknown_jar_is_reported_then_removed_without_mvn(jars_copy, capsys) -> None:
    stray = jars_copy / "spark" / "kafka-clients-3.9.1.jar"
    stray.write_bytes(b"PK stale version")
    assert jvm.main(["verify", "spark"]) == 1
    err = capsys.readouterr().err
    assert "spark/kafka-clients-3.9.1.jar is not in artifacts.lock" in err
    assert jvm.ensure("spark") == [jars_copy / "spark" / j.file for j in jvm.locked("spark")]
    assert not stray.exists()
    assert jvm.check("spark") == []


def test_a_corrupted_and_a_missing_jar_are_detected_then_refetched(jars_copy, capsys) -> None:
    corrupt, missing = jars_copy / GROUP / SMALL_JAR, jars_copy / GROUP / OTHER_SMALL_JAR
    flip_bytes(corrupt)
    missing.unlink()
    assert jvm.main(["verify"]) == 1
    err = capsys.readouterr().err
    expected = locked(GROUP, SMALL_JAR).sha256
    assert (
        f"{GROUP}/{SMALL_JAR} has sha256 {jvm.sha256_of(corrupt)}, the lock says {expected}" in err
    )
    assert f"{GROUP}/{OTHER_SMALL_JAR} is missing" in err
    assert "run `make jars`" in err

    jvm.ensure(GROUP)  # one mvn run
    assert jvm.sha256_of(corrupt) == expected
    assert jvm.sha256_of(missing) == locked(GROUP, OTHER_SMALL_JAR).sha256
    assert jvm.main(["verify"]) == 0


def test_the_local_maven_repository_copy_is_purged_and_a_jar_that_stays_wrong_named(
    jars_copy, local_repository, tmp_path, monkeypatch
) -> None:
    """One ensure(), two jars: one corrupt in the local Maven repository (purged and
    downloaded again, with mvn's checksum check), one whose bytes the repository never
    serves (here: the lock was altered), which is an error naming file and both hashes."""
    healed, stuck = locked(GROUP, SMALL_JAR), locked(GROUP, OTHER_SMALL_JAR)
    in_repository = local_repository / healed.repository_path()
    flip_bytes(in_repository)
    (jars_copy / GROUP / healed.file).unlink()
    wrong = "0" * 64
    lock = tmp_path / "artifacts.lock"
    lock.write_text(jvm.LOCK_FILE.read_text().replace(stuck.sha256, wrong))
    monkeypatch.setattr(jvm, "LOCK_FILE", lock)

    with pytest.raises(jvm.JvmArtifactError) as failure:
        jvm.ensure(GROUP)  # fetch, purge both from the local repository, fetch again
    message = str(failure.value)
    assert f"{GROUP}/{stuck.file} has sha256 {stuck.sha256}, the lock says {wrong}" in message
    assert "~/.m2/settings.xml" in message and "make jars-lock" in message
    assert healed.file not in message
    assert jvm.sha256_of(jars_copy / GROUP / healed.file) == healed.sha256
    assert jvm.sha256_of(in_repository) == healed.sha256


def test_spark_resolves_the_kafka_source_and_loads_the_openlineage_listener(spark) -> None:
    """The session has the spark group's jars (as the DAG's tasks do) and can load the
    OpenLineage listener; the tests' own session does not enable it (the DAG's tasks do:
    below)."""
    sc = spark.sparkContext
    frame = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", "127.0.0.1:1")
        .option("subscribe", "never-read")
        .load()  # resolves the source and its schema; the broker is only asked by an action
    )
    assert frame.columns[:3] == ["key", "value", "topic"]
    loader = sc._jvm.Thread.currentThread().getContextClassLoader()
    listener = sc._jvm.java.lang.Class.forName(LISTENER, True, loader)
    assert listener.getName() == LISTENER
    assert LISTENER not in (sc.getConf().get("spark.extraListeners") or "")


DAG_PROBE = """
import json
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

bag = DagBag(dag_folder="dags")
conf = {f"{d.dag_id}.{t.task_id}": t.conf for d in bag.dags.values() for t in d.tasks
        if isinstance(t, SparkSubmitOperator)}
print("CONF" + json.dumps(conf))
"""


def _dag_spark_conf(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """``conf`` of every Spark task, as Airflow itself parses the DAGs (in a subprocess,
    as the DAG processor would)."""
    proc = subprocess.run(
        [sys.executable, "-c", DAG_PROBE],
        env=airflow_env(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("CONF"))
    return dict(json.loads(line.removeprefix("CONF")))


def test_the_dags_spark_tasks_get_the_spark_jars_and_the_lineage_listener() -> None:
    tasks = _dag_spark_conf({k: v for k, v in os.environ.items() if k != "OPENLINEAGE_DISABLED"})
    jobs = {
        name.rsplit(".", 1)[-1]: conf.get("spark.openlineage.appName")
        for name, conf in tasks.items()
    }
    assert jobs["clean_silver"] == "retail_clean" and jobs["compute_kpis"] == "retail_kpis"
    for name, conf in tasks.items():
        assert conf["spark.jars"].split(",") == jvm.spark_jars(), name
        assert conf["spark.extraListeners"] == LISTENER, name


def test_with_lineage_off_the_dags_spark_tasks_get_no_listener() -> None:
    tasks = _dag_spark_conf({**os.environ, "OPENLINEAGE_DISABLED": "true"})
    assert tasks and all("spark.extraListeners" not in conf for conf in tasks.values())
    assert all(conf["spark.jars"].split(",") == jvm.spark_jars() for conf in tasks.values())
