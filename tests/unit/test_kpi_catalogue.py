"""The catalogue is complete, consistent, and the docs and migrations generated from it are
up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from retail_kpi.kpi import catalogue, ddl, docs

#: What the issue asks the catalogue to cover, mapped to catalogue KPI names.
REQUIRED = {
    "total sales (gross, discounts, net)": ["gross_sales", "discounts", "net_sales"],
    "units sold": ["units_sold"],
    "number of orders": ["orders"],
    "average transaction size / AOV": ["average_transaction_size"],
    "units per transaction": ["units_per_transaction"],
    "orders per minute (average and peak)": ["orders_per_minute"],
    "rate of return (units and value)": ["rate_of_return_units", "rate_of_return_value"],
    "profit and margin": ["profit", "profit_margin"],
    "COGS": ["cogs"],
    "sales growth d/w/m/y": [
        "sales_growth_day",
        "sales_growth_week",
        "sales_growth_month",
        "sales_growth_year",
    ],
    "top products": ["top_products"],
    "new vs returning customers": ["new_vs_returning_customers"],
    "repeat-purchase rate": ["repeat_purchase_rate"],
    "customer demographics": ["customer_demographics"],
    "engagement": ["sessions", "conversion_rate", "add_to_cart_rate"],
    "inventory health": [
        "inventory_on_hand",
        "days_of_supply",
        "stock_out_rate",
        "low_stock_products",
    ],
    "shipping": ["days_to_ship", "on_time_rate"],
}
GRAINS = {
    ("minute_start", "country_code"),
    ("hour_start", "country_code"),
    ("sales_date", "country_code"),
    ("sales_date", "category", "country_code"),
    ("month_start", "country_code"),
}


def test_catalogue_loads_and_is_valid():
    cat = catalogue.load()
    assert catalogue.validate(cat) == []
    assert len(cat.kpis) >= 30


def test_every_requested_kpi_is_defined_with_all_fields():
    cat = catalogue.load()
    names = {k.name: k for k in cat.kpis}
    for what, wanted in REQUIRED.items():
        for name in wanted:
            assert name in names, f"{what}: {name} missing"
            k = names[name]
            assert k.definition and k.formula and k.unit and k.owner and k.seeds


def test_seed_grains_are_served():
    assert {t.grain for t in catalogue.load().tables} >= GRAINS


def test_rates_document_their_null_rule():
    for t in catalogue.load().tables:
        for c in t.columns:
            if c.type == "rate" and c.name.endswith(("rate", "margin", "_units", "_value")):
                assert "NULL" in c.comment or "/ 1440" in c.comment or "/ 60" in c.comment, (
                    f"{t.name}.{c.name} must say when it is NULL"
                )


def test_invalid_catalogue_names_every_problem(tmp_path: Path):
    raw = yaml.safe_load(catalogue.CATALOGUE_PATH.read_text())
    raw["kpis"][0]["owner"] = "nobody"
    raw["kpis"][1]["columns"] = ["kpi_daily_sales.no_such_column"]
    raw["tables"][0]["columns"][0]["type"] = "money-ish"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError) as err:
        catalogue.load(bad)
    msg = str(err.value)
    assert "unknown owner 'nobody'" in msg
    assert "no_such_column" in msg
    assert "unknown type 'money-ish'" in msg


def test_docs_page_is_up_to_date():
    assert docs.DOC_PATH.read_text() == docs.render(), "run `make kpi-docs`"


def test_migrations_match_catalogue():
    files = ddl.migration_files(catalogue.load())
    assert len(files) == len([t for t in catalogue.load().tables if t.created_by == "kpi"])
    for name, text in files.items():
        assert name.startswith("V1") and int(name[1:4]) < 200
        assert (ddl.MIGRATIONS_DIR / name).read_text() == text, f"{name} drifted"
        assert "comment on table" in text
