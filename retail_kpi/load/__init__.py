"""Load the silver lake into the PostgreSQL star schema (one landing date at a time).

Public API (what the DAG calls)::

    load_date(day, run_id="...")  -> {"fct_order_line": 2_000, ...}
    replace_partition(conn, "mart.kpi_x", "kpi_date", day, parquet_dir) -> rows
"""

from retail_kpi.load.kpi_tables import replace_partition
from retail_kpi.load.loader import load_date

__all__ = ["load_date", "replace_partition"]
