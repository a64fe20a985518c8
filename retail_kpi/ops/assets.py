"""Airflow assets: each lake layer and each warehouse table the pipeline writes.

The tasks declare them as inlets and outlets (:mod:`retail_kpi.ops.dag_tasks`,
:mod:`retail_kpi.ops.microbatch_tasks`), so Airflow's asset graph shows the flow
landing -> bronze/silver/quarantine -> KPI Parquet -> warehouse tables -> BI refresh, and
the OpenLineage provider names them as the tasks' input and output datasets. Their URIs
are the real locations: ``file://`` folders of this installation's lake and
``postgres://host:port/database/schema/table`` (no login) of WAREHOUSE_URL, read from the
environment when the DAG is parsed.

Only :data:`WAREHOUSE_DATE` schedules anything (``retail_bi_refresh``); the others are
lineage, updated by every successful task that lists them as outlets.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow.sdk import Asset

from retail_kpi.config import env, settings
from retail_kpi.kpi.catalogue import load as load_kpi_catalogue

#: Updated when a business date has been loaded and passed the warehouse gate; the
#: event's ``extra`` carries the date. Downstream DAGs (BI refresh) schedule on it.
WAREHOUSE_DATE = Asset(name="retail_warehouse_date", uri="retail://warehouse/dw/date")

#: Warehouse tables the load replaces rows of (retail_kpi.load: SCD2 dimensions, facts);
#: the KPI tables (mart) come from the KPI catalogue. A unit test keeps this list equal
#: to what the loader writes.
DW_TABLES = (
    "dim_customer",
    "dim_product",
    "fct_order_line",
    "fct_return",
    "fct_shipment",
    "fct_inventory_daily",
    "fct_web_session",
)
DW_SCHEMA = "dw"
KPI_SCHEMA = "mart"
POSTGRES_PORT = 5432


#: Lake layers: the source's files (landing), Kafka micro-batches as read (raw/kafka,
#: retail_microbatch), then what the clean job and the KPI job write.
LAYERS = ("landing", "raw/kafka", "bronze", "silver", "quarantine", "kpi")


def lake(layer: str) -> Asset:
    """The folder of one lake layer (one of :data:`LAYERS`) as an asset."""
    if layer not in LAYERS:
        raise ValueError(f"{layer!r} is not a lake layer; use one of {', '.join(LAYERS)}.")
    s = settings()
    root = s.landing_dir if layer == "landing" else s.lake_dir / layer
    return Asset(name=f"retail_lake_{layer.replace('/', '_')}", uri=root.as_uri())


def _table(schema: str, table: str) -> Asset:
    url = urlsplit(env("WAREHOUSE_URL"))
    where = f"{url.hostname or 'localhost'}:{url.port or POSTGRES_PORT}{url.path}"
    return Asset(name=f"retail_{schema}.{table}", uri=f"postgres://{where}/{schema}/{table}")


def warehouse_tables() -> list[Asset]:
    """Every table ``load_warehouse`` writes: dimensions and facts, then the KPI tables."""
    kpis = [t.name for t in load_kpi_catalogue().tables]
    return [_table(DW_SCHEMA, t) for t in DW_TABLES] + [_table(KPI_SCHEMA, t) for t in kpis]
