"""The Tableau data source names every column of the view it reads, with a fitting type.

Checked against the view of a freshly migrated warehouse (PostgreSQL's catalogue), so a
column added to ``mart.v_sales_daily`` without the .tds fails here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import psycopg
import pytest

from retail_kpi.config import REPO_ROOT
from retail_kpi.warehouse.migrate import migrate

pytestmark = pytest.mark.integration

TDS = REPO_ROOT / "bi" / "retail_kpi_warehouse.tds"
#: Tableau's local type for each PostgreSQL type the view uses (written by hand).
LOCAL_TYPE = {
    "date": "date",
    "text": "string",
    "smallint": "integer",
    "bigint": "integer",
    "boolean": "boolean",
    "numeric": "real",
}


def test_the_tableau_file_lists_every_column_of_the_view(make_database):
    url = make_database("rk_bi_files")
    migrate(url)
    with psycopg.connect(url) as conn:
        view = conn.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'mart' and table_name = 'v_sales_daily'"
        ).fetchall()
    root = ET.parse(TDS).getroot()
    (relation,) = root.iter("relation")
    assert relation.get("table") == "[mart].[v_sales_daily]"
    listed = {
        r.findtext("remote-name"): r.findtext("local-type")
        for r in root.iter("metadata-record")
        if r.get("class") == "column"
    }
    assert listed == {name: LOCAL_TYPE[pg_type] for name, pg_type in view}
    captions = {c.get("name") for c in root.iter("column")}
    assert captions == {f"[{name}]" for name, _ in view}
