"""The Superset bundle and the Tableau/Power BI files hold together and hold no secret.

Cheap checks that catch a broken export before the (slow) browser test does: every
reference between files resolves, UUIDs are unique, the connection is templated and
logs in as bi_reader without a password, and the config refuses weak secret keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from retail_kpi.config import REPO_ROOT

BUNDLE = REPO_ROOT / "superset" / "bundle"
PASSWORD_MASK = "XXXXXXXXXX"


def _load(kind: str) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(BUNDLE).as_posix(): yaml.safe_load(p.read_text())
        for p in sorted((BUNDLE / kind).rglob("*.yaml"))
    }


def test_bundle_has_the_four_dashboards() -> None:
    titles = {d["dashboard_title"] for d in _load("dashboards").values()}
    assert titles == {
        "Executive overview",
        "Customers & engagement",
        "Inventory & operations",
        "Pipeline health",
    }
    assert yaml.safe_load((BUNDLE / "metadata.yaml").read_text())["type"] == "Dashboard"


def test_uuids_are_unique_and_references_resolve() -> None:
    databases, datasets = _load("databases"), _load("datasets")
    charts, dashboards = _load("charts"), _load("dashboards")
    every = [
        d["uuid"] for group in (databases, datasets, charts, dashboards) for d in group.values()
    ]
    assert len(every) == len(set(every))
    db_uuids = {d["uuid"] for d in databases.values()}
    ds_uuids = {d["uuid"] for d in datasets.values()}
    chart_uuids = {c["uuid"] for c in charts.values()}
    assert all(d["database_uuid"] in db_uuids for d in datasets.values())
    assert all(c["dataset_uuid"] in ds_uuids for c in charts.values())
    placed = set()
    for dash in dashboards.values():
        for item in dash["position"].values():
            if isinstance(item, dict) and item.get("type") == "CHART":
                placed.add(item["meta"]["uuid"])
        for flt in dash["metadata"]["native_filter_configuration"]:
            assert all(
                t.get("datasetUuid", next(iter(ds_uuids))) in ds_uuids for t in flt["targets"]
            )
    assert placed == chart_uuids, "every chart is on a dashboard and every placed chart exists"


def test_saved_metrics_used_by_charts_exist() -> None:
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    for name, chart in _load("charts").items():
        known = {m["metric_name"] for m in datasets[chart["dataset_uuid"]]["metrics"]}
        params = chart["params"]
        used = [params[k] for k in ("metric", "x", "y", "size") if isinstance(params.get(k), str)]
        used += [m for m in params.get("metrics", []) if isinstance(m, str)]
        assert set(used) <= known, f"{name} uses unknown metrics {set(used) - known}"


def test_columns_used_by_charts_exist() -> None:
    """Table columns, sort keys, x axes, groupings and time filters name dataset columns."""
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    for name, chart in _load("charts").items():
        known = {c["column_name"] for c in datasets[chart["dataset_uuid"]]["columns"]}
        params = chart["params"]
        groupby = params.get("groupby", [])
        groupby = [groupby] if isinstance(groupby, str) else groupby  # the heatmap's is one
        used = [c for c in params.get("all_columns", []) + groupby if isinstance(c, str)]
        used += [json.loads(o)[0] for o in params.get("order_by_cols", [])]
        used += [params["x_axis"]] if isinstance(params.get("x_axis"), str) else []
        used += [
            f["subject"]
            for f in params.get("adhoc_filters", [])
            if f.get("expressionType") == "SIMPLE"
        ]
        assert set(used) <= known, f"{name} uses unknown columns {set(used) - known}"


def test_every_chart_has_a_query_context_built_from_its_params() -> None:
    """Superset's chart data API, reports and thumbnails run the saved query context, not
    the params: a chart without one answers 400, and one built from older params runs an
    older query. superset/query_contexts.py stores the params it built from as form_data."""
    problems = []
    for name, chart in _load("charts").items():
        if not chart.get("query_context"):
            problems.append(f"{name}: no query context")
            continue
        context = json.loads(chart["query_context"])
        if context["form_data"] != chart["params"]:
            problems.append(f"{name}: built from other params")
        if context["datasource"] != {
            "id": int(chart["params"]["datasource"].split("__")[0]),
            "type": "table",
        }:
            problems.append(f"{name}: names another dataset than its params")
        if not context["queries"] or any(
            "slice_id" in q.get("url_params", {}) for q in context["queries"]
        ):
            problems.append(f"{name}: no queries, or a query names a chart id")
    assert not problems, (
        "rerun `make superset-query-contexts` against a Superset that imported the bundle:\n"
        + "\n".join(problems)
    )


def test_connection_is_templated_read_only_and_passwordless() -> None:
    (database,) = _load("databases").values()
    uri = database["sqlalchemy_uri"]
    assert uri == (
        "postgresql+psycopg2://${BI_READER_USER}:" + PASSWORD_MASK
        + "@${WAREHOUSE_HOST}:${WAREHOUSE_PORT}/${WAREHOUSE_DB}"
    )  # fmt: skip
    assert database["allow_dml"] is False and "password" not in database


def test_executive_dashboard_refreshes_itself_and_has_filters() -> None:
    (exec_dash,) = [d for d in _load("dashboards").values() if d["slug"] == "executive-overview"]
    assert exec_dash["metadata"]["refresh_frequency"] > 0
    names = {f["name"] for f in exec_dash["metadata"]["native_filter_configuration"]}
    assert {"Date range", "Country", "Category"} <= names


def test_tableau_and_power_bi_files_connect_as_bi_reader_without_password() -> None:
    tds = ET.parse(REPO_ROOT / "bi" / "retail_kpi_warehouse.tds").getroot()
    (conn,) = [c for c in tds.iter("connection") if c.get("class") == "postgres"]
    assert conn.get("username") == "bi_reader" and conn.get("password") is None
    pbids = json.loads((REPO_ROOT / "bi" / "retail_kpi_warehouse.pbids").read_text())
    (details,) = [c["details"] for c in pbids["connections"]]
    assert details["protocol"] == "postgresql" and "password" not in json.dumps(pbids).lower()


@pytest.mark.parametrize("key", ["", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "short"])
def test_superset_config_refuses_weak_secret_keys(key: str) -> None:
    env = {**os.environ, "SUPERSET_SECRET_KEY": key}
    code = f"import runpy; runpy.run_path({str(REPO_ROOT / 'superset' / 'superset_config.py')!r})"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "SUPERSET_SECRET_KEY" in proc.stderr


def test_superset_config_reads_the_key_from_the_environment(tmp_path: Path) -> None:
    key = "k" * 48
    env = {**os.environ, "SUPERSET_SECRET_KEY": key, "SUPERSET_HOME": str(tmp_path)}
    code = (
        f"import runpy; c = runpy.run_path({str(REPO_ROOT / 'superset' / 'superset_config.py')!r});"
        " print(c['SECRET_KEY'], c['SQLALCHEMY_DATABASE_URI'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == [key, f"sqlite:///{tmp_path}/superset.db?check_same_thread=false"]


def test_superset_up_tells_tableau_and_power_bi_users_where_to_connect() -> None:
    """`make superset` prints the same warehouse's address for the other BI tools, and
    where the read-only password is, never the password."""
    env = {
        **os.environ,
        "WAREHOUSE_URL": "postgresql://etl:etl-secret@db.example.com:6543/sales",
        "BI_READER_PASSWORD": "reader-secret",
    }
    code = (
        f"import runpy; m = runpy.run_path({str(REPO_ROOT / 'superset' / 'manage.py')!r});"
        " print(m['bi_connection_hint']())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "retail_kpi_warehouse.tds" in out.stdout and ".pbids" in out.stdout
    assert "db.example.com:6543, database sales, user bi_reader" in out.stdout
    assert "the BI_READER_PASSWORD you set" in out.stdout
    assert "secret" not in out.stdout.replace("BI_READER_PASSWORD", "")
