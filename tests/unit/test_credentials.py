"""Generated passwords and how configuration resolves the warehouse logins (no server)."""

from __future__ import annotations

import stat

import pytest

from retail_kpi import config
from retail_kpi.services import credentials


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.env"
    monkeypatch.setattr(config, "SECRETS_FILE", path)
    for name in ("WAREHOUSE_URL", "WAREHOUSE_ADMIN_URL", *credentials.KEYS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETAIL_PG_PORT", "54329")
    return path


def test_generated_once_owner_only_and_stable(secrets_file):
    first = credentials.ensure()
    assert set(first) == set(credentials.KEYS)
    assert len(set(first.values())) == len(first)  # five different passwords
    assert all(len(v) == 36 and not v.startswith("-") for v in first.values())
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert credentials.ensure() == first  # never regenerated


def test_a_deleted_line_is_regenerated_and_the_others_kept(secrets_file):
    first = credentials.ensure()
    kept = [ln for ln in secrets_file.read_text().splitlines() if "BI_READER_PASSWORD=" not in ln]
    secrets_file.write_text("\n".join(kept) + "\n")
    second = credentials.ensure()
    assert second["BI_READER_PASSWORD"] != first["BI_READER_PASSWORD"]
    assert {k: v for k, v in second.items() if k != "BI_READER_PASSWORD"} == {
        k: v for k, v in first.items() if k != "BI_READER_PASSWORD"
    }


def test_loosened_permissions_are_tightened(secrets_file):
    credentials.ensure()
    secrets_file.chmod(0o644)
    credentials.ensure()
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_unset_url_means_the_projects_server_with_generated_logins(secrets_file):
    secrets_file.write_text(
        "# comment\nRETAIL_ETL_PASSWORD=etlpw\nPOSTGRES_PASSWORD=su\nBI_READER_PASSWORD=bi\n"
    )
    assert config.managed_warehouse()
    assert config.env("WAREHOUSE_URL") == "postgresql://retail_etl:etlpw@127.0.0.1:54329/retail_kpi"
    assert config.env("WAREHOUSE_ADMIN_URL") == "postgresql://postgres:su@127.0.0.1:54329/postgres"
    assert config.env("BI_READER_PASSWORD") == "bi"


def test_an_external_url_uses_no_generated_secret(secrets_file, monkeypatch):
    secrets_file.write_text("RETAIL_ETL_PASSWORD=etlpw\nBI_READER_PASSWORD=bi\n")
    external = "postgresql://etl:pw@db.example.com:5432/retail_kpi"
    monkeypatch.setenv("WAREHOUSE_URL", external)
    assert not config.managed_warehouse()
    assert config.env("WAREHOUSE_URL") == external
    assert config.env("WAREHOUSE_ADMIN_URL") == external  # migrations as that login
    assert config.env("BI_READER_PASSWORD") == ""  # unset: the role is left as it is


def test_a_url_naming_the_projects_server_is_still_ours(secrets_file, monkeypatch):
    """Child processes and tests get WAREHOUSE_URL of another database on our server."""
    secrets_file.write_text("POSTGRES_PASSWORD=su\n")
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://retail_etl:x@127.0.0.1:54329/rk_test_1")
    assert config.managed_warehouse()
    assert config.env("WAREHOUSE_ADMIN_URL") == "postgresql://postgres:su@127.0.0.1:54329/postgres"
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://retail_etl:x@127.0.0.1:5432/rk_test_1")
    assert not config.managed_warehouse()


def test_admin_login_is_used_only_on_its_own_server(secrets_file):
    from retail_kpi.warehouse.db import admin_url

    secrets_file.write_text("POSTGRES_PASSWORD=su\n")
    ours = "postgresql://retail_etl:x@127.0.0.1:54329/rk_test_1"
    assert admin_url(ours) == "postgresql://postgres:su@127.0.0.1:54329/rk_test_1"
    throwaway = "postgresql://postgres:pw@127.0.0.1:40001/faults"
    assert admin_url(throwaway) == throwaway


def test_an_environment_variable_wins_over_the_file(secrets_file, monkeypatch):
    generated = credentials.ensure()
    monkeypatch.setenv("RETAIL_ETL_PASSWORD", "from-env")
    assert credentials.ensure()["RETAIL_ETL_PASSWORD"] == "from-env"
    assert config.read_secrets()["RETAIL_ETL_PASSWORD"] == generated["RETAIL_ETL_PASSWORD"]
    assert config.env("WAREHOUSE_URL").startswith("postgresql://retail_etl:from-env@")
