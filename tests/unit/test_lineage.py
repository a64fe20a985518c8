"""Where OpenLineage events go (retail_kpi.lineage) and the warehouse tables declared as
assets (retail_kpi.ops.assets). The events themselves: test_retail_daily_dag.py."""

from __future__ import annotations

import json

from retail_kpi import lineage
from retail_kpi.airflow_env import airflow_env
from retail_kpi.kpi.catalogue import load as load_catalogue
from retail_kpi.load import dims
from retail_kpi.load.facts import FACTS
from retail_kpi.ops import assets


def test_unset_url_writes_both_integrations_jsonl_files_under_the_data_folder(tmp_path):
    environ = {"RETAIL_DATA_DIR": str(tmp_path)}
    transport = lineage.airflow_transport(environ)
    assert transport["type"] == "file" and transport["append"] is True
    assert transport["log_file_path"] == str(tmp_path / "lineage" / "airflow.jsonl")
    conf = lineage.spark_conf("retail_clean", environ)
    assert conf["spark.extraListeners"] == "io.openlineage.spark.agent.OpenLineageSparkListener"
    assert conf["spark.openlineage.transport.type"] == "file"
    assert conf["spark.openlineage.transport.location"] == str(tmp_path / "lineage" / "spark.jsonl")
    assert conf["spark.openlineage.namespace"] == "retail_kpi"
    assert conf["spark.openlineage.appName"] == "retail_clean"


def test_disabled_lineage_runs_spark_without_the_listener(tmp_path):
    for value in ("true", "1", "T"):
        assert lineage.spark_conf("retail_clean", {"OPENLINEAGE_DISABLED": value}) == {}
    assert lineage.spark_conf("retail_clean", {"OPENLINEAGE_DISABLED": "false"})


def test_a_marquez_url_gets_its_endpoint_a_full_endpoint_url_is_kept():
    marquez = {"OPENLINEAGE_URL": "http://marquez:5000"}
    assert lineage.airflow_transport(marquez) == {
        "type": "http", "url": "http://marquez:5000", "endpoint": "api/v1/lineage",
    }  # fmt: skip
    conf = lineage.spark_conf("retail_kpis", marquez)
    assert (
        conf["spark.openlineage.transport.type"],
        conf["spark.openlineage.transport.url"],
        conf["spark.openlineage.transport.endpoint"],
    ) == ("http", "http://marquez:5000", "/api/v1/lineage")
    datahub = {"OPENLINEAGE_URL": "https://gms.example:8080/openapi/openlineage/api/v1/lineage"}
    assert lineage.airflow_transport(datahub)["url"] == "https://gms.example:8080"
    assert lineage.airflow_transport(datahub)["endpoint"] == "openapi/openlineage/api/v1/lineage"


def test_airflow_env_configures_the_provider_and_an_explicit_transport_wins(tmp_path):
    env = airflow_env({"PATH": "/usr/bin", "RETAIL_DATA_DIR": str(tmp_path)})
    assert env["AIRFLOW__OPENLINEAGE__NAMESPACE"] == "retail_kpi"
    transport = json.loads(env["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert transport["log_file_path"] == str(tmp_path / "lineage" / "airflow.jsonl")
    assert not (tmp_path / "lineage").exists()  # created by the first event, not here
    mine = json.dumps({"type": "console"})
    custom = airflow_env({"PATH": "/usr/bin", "AIRFLOW__OPENLINEAGE__TRANSPORT": mine})
    assert custom["AIRFLOW__OPENLINEAGE__TRANSPORT"] == mine


def test_the_warehouse_assets_are_every_table_the_load_writes():
    written = {f"dw.{spec.table}" for spec in FACTS}
    written |= {f"dw.{spec.table}" for spec in (dims.CUSTOMER, dims.PRODUCT)}
    written |= {f"mart.{t.name}" for t in load_catalogue().tables}
    declared = {a.name.removeprefix("retail_") for a in assets.warehouse_tables()}
    assert declared == written
