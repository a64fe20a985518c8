"""One place for configuration: environment variables with documented defaults.

DAGs, Spark jobs and the CLI all call :func:`settings` so that a value set in the
environment means the same thing everywhere. Nothing here opens a connection, so it
is safe to import at DAG-parse time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
#: State of the services the project starts itself (PostgreSQL, Kafka, JVM artifacts,
#: generated secrets); git-ignored, one per checkout.
LOCAL_DIR = REPO_ROOT / ".local"

#: name -> (default, description). The README's configuration table mirrors this.
ENV_DEFAULTS: dict[str, tuple[str, str]] = {
    "WAREHOUSE_URL": (
        "",
        "PostgreSQL URL of the warehouse as the pipeline's login (the ETL role, not a "
        "superuser). Unset = the project's own PostgreSQL (127.0.0.1:RETAIL_PG_PORT, data "
        "under .local/postgres, passwords in .local/secrets.env), started by `make "
        "warehouse`, `make demo` and `make test`. Set = use that server, start nothing.",
    ),
    "WAREHOUSE_ADMIN_URL": (
        "",
        "Login that creates databases and roles and applies migrations (a superuser or "
        "the database owner). Unset = the project's own server's superuser, or "
        "WAREHOUSE_URL itself when WAREHOUSE_URL is set.",
    ),
    "RETAIL_PG_PORT": ("54329", "Port of the project's own PostgreSQL (127.0.0.1 only)."),
    "KAFKA_BOOTSTRAP_SERVERS": (
        "",
        "Kafka brokers (host:port,...). Unset = the project's own single-node broker "
        "(KRaft, 127.0.0.1:39092, data under .local/kafka), started by `make kafka`, "
        "`make demo` and the tests; set = use that cluster and start nothing.",
    ),
    "RETAIL_KAFKA_TOPIC_PREFIX": (
        "retail.",
        "Prefix of the source topics: one topic per landing entity, e.g. retail.orders "
        "(contract: docs/SOURCES.md).",
    ),
    "RETAIL_JARS_DIR": (
        "",
        "Where `make jars` puts the JVM artifacts of jvm/artifacts.lock (Kafka broker, "
        "Spark's Kafka source, OpenLineage); default .local/jars.",
    ),
    "RETAIL_DATA_DIR": (
        str(REPO_ROOT / "data"),
        "Root of the local lake: landing/, lake/ (bronze, silver, quarantine, kpi).",
    ),
    "RETAIL_LANDING_DIR": ("", "Raw landing files; default <RETAIL_DATA_DIR>/landing."),
    "RETAIL_LAKE_DIR": ("", "Parquet lake; default <RETAIL_DATA_DIR>/lake."),
    "OPENLINEAGE_URL": (
        "",
        "Where the OpenLineage events of Airflow's tasks and of the Spark jobs go. Unset = "
        "JSON lines under <RETAIL_DATA_DIR>/lineage/ (airflow.jsonl, spark.jsonl). Set = "
        "HTTP POST to that URL: a Marquez server (http://host:5000) or a full endpoint URL "
        '(DataHub, OpenMetadata). docs/DEPLOY.md, "Lineage".',
    ),
    "OPENLINEAGE_DISABLED": (
        "",
        "true = emit no lineage events: Airflow's provider reads it, and the Spark tasks then "
        "run without the OpenLineage listener.",
    ),
    "SPARK_MASTER": (
        "local[*]",
        "Spark master for the CLI. DAGs use the Airflow connection `spark` instead.",
    ),
    "SPARK_REMOTE": (
        "",
        "A Spark Connect server (`sc://host:port`) the CLI's jobs use instead of a Spark "
        "application of their own; `python -m retail_kpi.services.spark_connect start` runs "
        "the project's (sc://127.0.0.1:15002). DAGs: the Airflow connection `spark`.",
    ),
    "RETAIL_SPARK_DRIVER_JAVA_OPTIONS": (
        "-XX:-SegmentedCodeCache -XX:ReservedCodeCacheSize=512m",
        "JVM options of the Spark tasks' driver (`spark.driver.extraJavaOptions`): one "
        "512 MB code cache, so a long job never fills it (a full cache stops the JIT). A "
        "small batch (RETAIL_SPARK_SMALL_BATCH_MB) adds `-XX:TieredStopAtLevel=1` (C1 JIT "
        "only). `none` = the JVM's defaults.",
    ),
    "RETAIL_SPARK_DRIVER_MEMORY": (
        "4g",
        "Heap of the Spark tasks' driver (`spark.driver.memory`, passed to spark-submit: "
        "set inside the job it would come too late). In `local[*]` the executors run in "
        "that JVM, so it bounds the whole job: at 5M order lines the clean job ran out "
        "of a 1 GB heap. On a cluster, size `spark.executor.memory` instead.",
    ),
    "RETAIL_SPARK_SMALL_BATCH_MB": (
        "64",
        "A run date with fewer MB of landing files is a small batch: the Spark jobs "
        "interpret expressions instead of compiling them and the driver JVM uses the C1 "
        "JIT only, because on a small batch compiling costs more than it saves. 0 = "
        "every batch is big.",
    ),
    "RETAIL_SEED": ("42", "Random seed of the generator; same seed+date = same bytes."),
    "RETAIL_ORDERS_PER_DAY": ("2000", "Generator volume: orders per day."),
    "RETAIL_OPENED_ON": (
        "",
        "Generator: the store's opening date (YYYY-MM-DD). Shipments and returns landed "
        "later never refer to orders before it, so a new warehouse's first week has no "
        "after-sales records without their order (ORPHAN_KEY). Empty = no opening date.",
    ),
    "RETAIL_CUSTOMERS": ("5000", "Generator volume: size of the customer base."),
    "RETAIL_PRODUCTS": ("200", "Generator volume: size of the product catalogue."),
    "BI_READER_PASSWORD": (
        "",
        "Password of the read-only `bi_reader` role. Unset = the generated one in "
        ".local/secrets.env on the project's own server; on an external server, unset "
        "leaves the role's login as it is.",
    ),
    # Operations (retail_kpi/ops, docs/RUNBOOK.md). Read by the DAG files at parse time.
    "RETAIL_ALERT_CHANNEL": (
        "auto",
        "Where failure/deadline alerts go: auto (slack if a webhook is set, else smtp if "
        "RETAIL_ALERT_EMAIL is set, else log), log, slack or smtp.",
    ),
    "RETAIL_ALERT_WEBHOOK_URL": ("", "Slack incoming-webhook URL for alerts (a secret)."),
    "RETAIL_ALERT_EMAIL": ("", "Comma-separated alert recipients (Airflow `smtp_default`)."),
    "RETAIL_RUNBOOK_URL": (
        str(REPO_ROOT / "docs" / "RUNBOOK.md"),
        "Runbook linked from every alert (a URL or a path).",
    ),
    "RETAIL_FRESH_BY": ("06:00", "UTC time of the next day by which a date must be loaded."),
    "RETAIL_TASK_RETRIES": ("2", "Retries of every pipeline task (exponential backoff)."),
    "RETAIL_RETRY_DELAY_SECONDS": ("60", "First retry delay; doubles per retry, max 15 min."),
}


#: Passwords of the project's own PostgreSQL, generated once by
#: ``retail_kpi.services.credentials`` (``KEY=value`` lines, mode 0600, git-ignored).
SECRETS_FILE = LOCAL_DIR / "secrets.env"
#: Roles and databases of the project's own server.
ETL_LOGIN = "retail_etl"
SUPERUSER = "postgres"
WAREHOUSE_DB = "retail_kpi"


def read_secrets(path: Path | None = None) -> dict[str, str]:
    """``KEY=value`` pairs of the secrets file ({} when it does not exist yet)."""
    path = path or SECRETS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            out[key.strip()] = value.strip()
    return out


def managed_warehouse() -> bool:
    """True when the warehouse is the project's own server.

    That is: WAREHOUSE_URL is unset, or names that server (127.0.0.1:RETAIL_PG_PORT), as in
    the environment the project hands its own child processes and tests.
    """
    url = os.environ.get("WAREHOUSE_URL")
    if not url:
        return True
    try:
        parts = urlsplit(url)
        return (parts.hostname, parts.port) == ("127.0.0.1", int(env("RETAIL_PG_PORT")))
    except ValueError:  # not a URL (a libpq key=value string) or a bad port: not ours
        return False


def bi_password_source() -> str:
    """Where the BI login's password is, for messages to BI users (never the password):
    the generated secrets file on the project's server unless BI_READER_PASSWORD is set."""
    if managed_warehouse() and not os.environ.get("BI_READER_PASSWORD"):
        return f"BI_READER_PASSWORD in {SECRETS_FILE}"
    return "the BI_READER_PASSWORD you set"


def local_pg_url(user: str, dbname: str, password_key: str) -> str:
    """URL of a login on the project's own server, password from the environment or else
    the secrets file."""
    password = os.environ.get(password_key) or read_secrets().get(password_key, "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return f"postgresql://{auth}@127.0.0.1:{env('RETAIL_PG_PORT')}/{dbname}"


def env(name: str) -> str:
    """Return the environment value of ``name`` or its documented default.

    With no WAREHOUSE_URL set, the warehouse logins and the BI password default to the
    project's own server and the secrets generated for it.
    """
    default, _ = ENV_DEFAULTS[name]
    value = os.environ.get(name)
    if value:
        return value
    if name == "WAREHOUSE_URL":
        return local_pg_url(ETL_LOGIN, WAREHOUSE_DB, "RETAIL_ETL_PASSWORD")
    if name == "WAREHOUSE_ADMIN_URL":
        if managed_warehouse():
            return local_pg_url(SUPERUSER, "postgres", "POSTGRES_PASSWORD")
        return os.environ["WAREHOUSE_URL"]
    if name == "BI_READER_PASSWORD" and managed_warehouse():
        return read_secrets().get(name, default)
    return default


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are absolute."""

    warehouse_url: str
    data_dir: Path
    landing_dir: Path
    lake_dir: Path
    spark_master: str
    seed: int
    orders_per_day: int
    customers: int
    products: int
    opened_on: dt.date | None = None

    @property
    def bronze_dir(self) -> Path:
        return self.lake_dir / "bronze"

    @property
    def silver_dir(self) -> Path:
        return self.lake_dir / "silver"

    @property
    def quarantine_dir(self) -> Path:
        return self.lake_dir / "quarantine"

    @property
    def kpi_dir(self) -> Path:
        return self.lake_dir / "kpi"


def _int(name: str) -> int:
    raw = env(name)
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer; set it to a whole number.") from None


def _date(name: str) -> dt.date | None:
    raw = env(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a date; use YYYY-MM-DD or unset it.") from None


def settings() -> Settings:
    """Read the environment now (not cached: tests change it between cases)."""
    data_dir = Path(env("RETAIL_DATA_DIR")).resolve()
    landing = env("RETAIL_LANDING_DIR")
    lake = env("RETAIL_LAKE_DIR")
    return Settings(
        warehouse_url=env("WAREHOUSE_URL"),
        data_dir=data_dir,
        landing_dir=Path(landing).resolve() if landing else data_dir / "landing",
        lake_dir=Path(lake).resolve() if lake else data_dir / "lake",
        spark_master=env("SPARK_MASTER"),
        seed=_int("RETAIL_SEED"),
        orders_per_day=_int("RETAIL_ORDERS_PER_DAY"),
        customers=_int("RETAIL_CUSTOMERS"),
        products=_int("RETAIL_PRODUCTS"),
        opened_on=_date("RETAIL_OPENED_ON"),
    )
