"""The Docker images install exactly the repository's pins; this fails when they drift.

The Dockerfiles are read as text (no Docker engine here). A Python dependency may enter an
image only through a copied lock file (`-c constraints.txt`); any version written in a
Docker file must equal the lock's; base images use the venv's Python minor and the
PostgreSQL major the tests run against. The checker is also run on deliberately drifted
copies, to show that it catches drift rather than passing vacuously.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import server_url

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)", re.M)
INLINE_PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([0-9][^\s\"'#;]*)")
#: image -> (Python lock it must install with, top-level requirements file)
IMAGES = {
    "airflow": ("constraints.txt", "requirements.txt"),
    "spark": ("constraints.txt", None),
    "superset": ("superset/constraints.txt", "superset/requirements.txt"),
}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` lines of a pip file."""
    return {norm(n): v for n, v in PIN.findall(path.read_text())}


def dockerfile_problems(text: str, lock: dict[str, str], lock_file: str) -> list[str]:
    """What makes this Dockerfile install something other than the locked versions."""
    problems: list[str] = []
    steps = re.sub(r"\\\n", " ", text)  # join continuation lines
    if f"COPY {lock_file}" not in steps and not re.search(
        rf"COPY\s+(\S+\s+)*{re.escape(lock_file)}\s", steps
    ):
        problems.append(f"does not COPY {lock_file} into the image")
    uv_pin = re.search(r"uv==([0-9.]+)", (ROOT / "Makefile").read_text())
    for line in steps.splitlines():
        words = line.split()
        if line.lstrip().startswith("ARG UV_VERSION=") and uv_pin:
            if line.split("=", 1)[1].strip() != uv_pin.group(1):
                problems.append(f"uv {line.split('=', 1)[1]} != Makefile's uv=={uv_pin.group(1)}")
            continue
        for name, version in INLINE_PIN.findall(line):
            if norm(name) == "uv":
                continue
            if lock.get(norm(name)) != version:
                problems.append(f"{name}=={version} but {lock_file} pins {lock.get(norm(name))}")
        if "pip install" in line and "uv==" not in line:
            if "-c" not in words or not any(w.endswith(Path(lock_file).name) for w in words):
                problems.append(f"installs without the {lock_file} lock: {line.strip()}")
            for word in words[words.index("install") + 1 :]:
                bare = word.strip("'\"")
                if bare.startswith("-") or "/" in bare or "==" in bare or not bare:
                    continue
                if words[words.index(word) - 1] in ("-c", "-r", "--python"):
                    continue
                if norm(bare) not in lock:
                    problems.append(f"installs {bare}, which {lock_file} does not pin")
    python = re.findall(r"^FROM\s+python:(\d+\.\d+)", text, re.M)
    want = f"{sys.version_info.major}.{sys.version_info.minor}"
    if python != [want]:
        problems.append(f"base image Python {python} != the venv's {want}")
    return problems


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile_installs_exactly_the_locked_versions(image: str) -> None:
    lock_file, _ = IMAGES[image]
    text = (DOCKER / image / "Dockerfile").read_text()
    assert dockerfile_problems(text, read_pins(ROOT / lock_file), lock_file) == []


@pytest.mark.parametrize("image", sorted(i for i, (_, req) in IMAGES.items() if req))
def test_requirements_agree_with_their_lock(image: str) -> None:
    """A top-level pin the lock contradicts would be silently overridden in the image."""
    lock_file, req_file = IMAGES[image]
    assert req_file is not None
    lock, reqs = read_pins(ROOT / lock_file), read_pins(ROOT / req_file)
    assert {n: (v, lock.get(n)) for n, v in reqs.items() if lock.get(n) != v} == {}
    text = re.sub(r"\\\n", " ", (DOCKER / image / "Dockerfile").read_text())
    assert re.search(rf"-r \S*{Path(req_file).name} -c \S*{Path(lock_file).name}", text)


def test_the_stack_runs_the_versions_the_project_names() -> None:
    """Airflow 3.3.2, Spark 4.2 (pyspark), Superset 6.1: what README and docs promise."""
    lock = read_pins(ROOT / "constraints.txt")
    assert lock["apache-airflow"] == read_pins(ROOT / "requirements.txt")["apache-airflow"]
    assert lock["apache-airflow"].startswith("3.")
    assert lock["pyspark"] == lock["pyspark-client"], "provider's pyspark-client must match"
    assert read_pins(ROOT / "superset/constraints.txt")["apache-superset"].startswith("6.1.")


def test_postgres_image_is_the_major_the_tests_run_against() -> None:
    compose = (DOCKER / "docker-compose.yml").read_text()
    majors = set(re.findall(r"image:\s*postgres:(\d+)", compose))
    with psycopg.connect(server_url()) as conn:
        server_major = str(conn.info.server_version // 10000)
    assert majors == {server_major}


def test_kafka_image_is_the_broker_the_project_runs() -> None:
    """apache/kafka in compose = org.apache.kafka:kafka_2.13 of the JVM lock (make kafka)."""
    compose = (DOCKER / "docker-compose.yml").read_text()
    images = re.findall(r"image:\s*apache/kafka:(\S+)", compose)
    locked = re.findall(
        r"org\.apache\.kafka:kafka_2\.13:(\S+)", (ROOT / "jvm/artifacts.lock").read_text()
    )
    assert len(images) == 1 and set(locked) == {images[0]}


@pytest.mark.parametrize(
    ("image", "edit", "expected"),
    [
        ("spark", ("pyspark pandas", "pyspark==4.1.1 pandas"), "pyspark==4.1.1"),
        ("spark", ("pyarrow numpy", "pyarrow numpy delta-spark"), "delta-spark"),
        ("airflow", ("-c /tmp/pins/constraints.txt", ""), "without the constraints.txt"),
        ("airflow", ("python:3.11", "python:3.12"), "Python"),
        ("airflow", ("UV_VERSION=0.13.9", "UV_VERSION=0.1.0"), "uv 0.1.0"),
        ("superset", ("superset/constraints.txt ", "constraints.txt "), "superset/constraints"),
    ],
)
def test_checker_catches_drift(image: str, edit: tuple[str, str], expected: str) -> None:
    lock_file, _ = IMAGES[image]
    text = (DOCKER / image / "Dockerfile").read_text()
    assert edit[0] in text, f"test edit {edit[0]!r} no longer matches {image}/Dockerfile"
    drifted = text.replace(edit[0], edit[1])
    problems = dockerfile_problems(drifted, read_pins(ROOT / lock_file), lock_file)
    assert any(expected in p for p in problems), problems
