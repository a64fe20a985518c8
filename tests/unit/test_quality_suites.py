"""The suite files under expectations/: well-formed, policy on every check, aligned with
the contracts they guard (a renamed column must break this test, not a nightly run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail_kpi import schemas
from retail_kpi.quality.suites import (
    EXPECTATIONS_DIR,
    SuiteError,
    all_suites,
    load_suite_file,
    to_gx,
)

SUITES = all_suites()
#: Columns the silver gate adds to a batch before validating it (see quality/silver.py).
DERIVED = {
    "silver_orders": {"has_customer"},
    "silver_order_items": {"has_order", "has_product", "net_amount_gap"},
    "silver_shipments": {"has_order"},
    "silver_returns": {"has_product"},
    "silver_inventory": {"has_product"},
    "silver_web_sessions": {"converted_without_cart"},
}


def test_every_layer_has_suites() -> None:
    layers = {name.split("_", 1)[0] for name in SUITES}
    assert layers >= {"landing", "silver", "kpi", "warehouse"}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_suite_is_named_after_its_file(name: str) -> None:
    spec = SUITES[name]
    layer, stem = spec.path.parent.name, spec.path.stem
    assert name == f"{layer}_{stem}"
    assert spec.guards.strip(), "say which table the suite guards"


@pytest.fixture(scope="module")
def gx_context():
    """GX builds suites only inside a data context (an in-memory one is enough)."""
    from retail_kpi.quality.gx_context import quiet_gx

    quiet_gx()
    import great_expectations as gx

    return gx.get_context(mode="ephemeral")


@pytest.mark.parametrize("name", sorted(SUITES))
def test_suite_builds_in_gx_with_policy_in_meta(name: str, gx_context) -> None:
    suite = to_gx(SUITES[name])
    policies = [e.meta["policy"] for e in suite.expectations]
    assert len(policies) == len(SUITES[name].expectations)
    assert set(policies) <= {"blocking", "warning"}
    assert "blocking" in policies, "a suite with no blocking check cannot stop bad data"


def test_a_check_without_policy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text(
        "suite: silver_x\nexpectations:\n"
        "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: a}\n    why: w\n"
    )
    with pytest.raises(SuiteError, match=r"x.yml, expectation #1 .*blocking or warning"):
        load_suite_file(path)


@pytest.mark.parametrize("entity", schemas.ENTITIES)
def test_landing_suite_checks_every_typed_column(entity: str) -> None:
    spec = SUITES[f"landing_{entity}"]
    checked = {e.kwargs["column"] for e in spec.expectations if "regex" in e.kwargs}
    typed = {c.name for c in schemas.LANDING[entity] if c.type != "string"}
    assert checked == typed


def _columns(spec_name: str) -> set[str]:
    out: set[str] = set()
    for e in SUITES[spec_name].expectations:
        for key in ("column", "column_A", "column_B"):
            if isinstance(e.kwargs.get(key), str):
                out.add(e.kwargs[key])
        if isinstance(e.kwargs.get("column_list"), list):
            out.update(e.kwargs["column_list"])
    return out


@pytest.mark.parametrize("name", [n for n in SUITES if n.startswith("silver_")])
def test_silver_suites_name_contract_columns_only(name: str) -> None:
    entity = name.removeprefix("silver_")
    if entity == "reconciliation":
        return  # built from the clean job's JSON report, see quality/silver.py
    columns = schemas.QUARANTINE if entity == "quarantine" else schemas.SILVER[entity]
    contract = {c.name for c in columns}
    assert _columns(name) - contract - DERIVED.get(name, set()) == set()


def test_suite_files_live_under_expectations() -> None:
    assert all(EXPECTATIONS_DIR in s.path.parents for s in SUITES.values())


#: Columns the KPI gate adds next to the KPI table's own (see quality/kpi.py).
KPI_DERIVED = {"silver_net_sales_usd", "net_sales_gap", "customers_gap"}


@pytest.mark.parametrize("name", [n for n in SUITES if n.startswith("kpi_")])
def test_kpi_suites_name_catalogue_columns_only(name: str) -> None:
    from retail_kpi.kpi.catalogue import load

    table = load().table(name)
    assert _columns(name) - set(table.column_names) - KPI_DERIVED == set()


def test_batch_keeps_only_the_columns_the_suite_reads() -> None:
    orders = SUITES["silver_orders"].columns()
    assert orders is not None
    assert {"order_id", "is_late", "has_customer", "order_date"} <= orders  # is_late: row_condition
    assert "payment_method" not in orders
    assert SUITES["landing_orders"].columns() is None  # checks the column list itself
