"""The bad-input corpus (issue 24): one landing day holding the classic defects, through
the real landing gate, clean job, silver gate, KPI job, load and warehouse gate.

Every defect either stops the run with a message naming the file (wrong header, a file
that is not data) or is quarantined with its reason, file and line while the rest of the
day goes on. Expected outcomes are written out by hand per line below; the record count
of every file is taken here from the bytes (lines ended by LF, header excluded), not by
the pipeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from retail_kpi import config
from retail_kpi.load import load_date
from retail_kpi.quality import run_gate
from retail_kpi.schemas import MAX_RECORD_BYTES, column_names
from retail_kpi.warehouse.migrate import migrate
from spark_jobs import kpis
from spark_jobs.ingest import LandingError
from spark_jobs.pipeline import run_clean
from tests.unit.clean_support import DAY, PRODUCTS, fx_rows

pytestmark = pytest.mark.integration

DAY_D = dt.date.fromisoformat(DAY)
BOM = "\ufeff".encode()


def _csv(entity: str, lines: list[str], *, eol: bytes = b"\n", last_eol: bool = True) -> bytes:
    body = eol.join(s.encode() for s in [",".join(column_names(entity)), *lines])
    return body + (eol if last_eol else b"")


def _customer(cid: str, last: str = "Lee", city: str = "Austin", reg: str = "2025-01-01") -> str:
    email = f"{cid.lower()}@example.com"
    return f"{cid},Ann,{last},{email},30,F,Consumer,USA,{city},1 Main St,{reg},{DAY}T02:00:00"


def _order(oid: str, cust: str, ts: str = f"{DAY}T10:00:00", status: str = "completed") -> str:
    return f"{oid},{cust},{ts},USA,USD,web,card,{status}"


#: The landing day: file -> bytes. Line numbers in EXPECTED count the header as line 1.
FX = "fx_rates/dt={d}/fx_rates.csv"
HUGE = f"P3,{'x' * (MAX_RECORD_BYTES + 10)},Bikes,Road,Acme,10.00,20.00,{DAY}T01:00:00"
FILES: dict[str, bytes] = {
    # BOM before the header, CRLF line endings
    FX: BOM + _csv("fx_rates", [",".join(r) for r in fx_rows(DAY)], eol=b"\r\n"),
    "products/dt={d}/products.csv": _csv(
        "products",
        [*(",".join(p) for p in PRODUCTS), HUGE],  # 4: a field above the record limit
    ),
    "customers/dt={d}/customers.csv": _csv(
        "customers",
        [
            _customer("C1"),
            _customer("C2", last="Le\x00e"),  # 3: NUL
            _customer("C3", city="Aus\rtin"),  # 4: bare CR inside a field: kept in one record
            _customer("C4", reg="2025-02-30"),  # 5: impossible date
        ],
        eol=b"\r\n",
    ),
    "orders/dt={d}/orders.csv": _csv(
        "orders",
        [
            _order("O1", "C1"),
            _order("O2", "C3"),
            _order("O3", "C1", ts="2026-02-30T10:00:00"),  # 4: impossible timestamp
            _order("O4", "C1"),  # 5: superseded by line 6 (same key, other status)
            _order("O4", "C1", status="refunded"),  # 6
            f'O5,C1,"{DAY}T10:00:00',  # 7: a quote spanning lines ...
            '",USA,USD,web,card,completed',  # 8: ... is two malformed lines
            f"O6,C1,{DAY}T1",  # 9: truncated last line, no line feed
        ],
        last_eol=False,
    ),
    "order_items/dt={d}/order_items.csv": _csv(
        "order_items",
        [
            "O1,1,P1,2,20.00,0",
            "O1,2,P1,1,1000000000000,0",  # 3: overflowing price
            "O2,1,P2,1,250.00,0",
            "O3,1,P1,1,20.00,0",  # 5: its order was quarantined
            "O4,1,P2,1,250.00,0.10",
        ],
    ),
    "shipments/dt={d}/shipments.csv": _csv(
        "shipments", [f"S1,O1,UPS,3,{DAY}T12:00:00,{DAY}T20:00:00,5.00"]
    ),
    "shipments/dt={d}/shipments-2.csv": b"",  # 0-byte file
    "returns/dt={d}/returns.csv": _csv("returns", [f"R1,O1,1,P1,{DAY}T15:00:00,1,damaged,19.00"]),
    "returns/dt={d}/returns-2.csv": _csv("returns", []),  # header only
    "inventory/dt={d}/inventory.csv": _csv("inventory", [f"{DAY},USA,W1,P1,5,10,8"]),
    "web_sessions/dt={d}/web_sessions.csv": _csv(
        "web_sessions", [f"WS1,C1,USA,web,{DAY}T09:00:00,300,5,true,true"]
    ),
}

#: (entity, line) -> reason code, for every record that must be quarantined
EXPECTED_QUARANTINE = {
    ("products", 4): "MALFORMED_LINE",
    ("customers", 3): "CONTROL_CHARACTER",
    ("customers", 5): "BAD_TYPE",
    ("orders", 4): "BAD_TYPE",
    ("orders", 7): "MALFORMED_LINE",
    ("orders", 8): "MALFORMED_LINE",
    ("orders", 9): "MALFORMED_LINE",
    ("order_items", 3): "ABSURD_PRICE",
    ("order_items", 5): "PARENT_QUARANTINED",
}
#: (entity, line) -> (duplicate kind, kept line)
EXPECTED_DUPLICATES = {("orders", 5): ("superseded", 6)}


def records(data: bytes) -> int:
    """Data records of a landing CSV: LF-ended lines (a last line without one counts),
    minus the header."""
    if not data:
        return 0
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return lines - 1


def write_day(landing: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = landing / rel.format(d=DAY)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture(scope="module")
def settings(make_database, tmp_path_factory) -> config.Settings:
    root = tmp_path_factory.mktemp("corpus")
    url = make_database("rk_it_corpus")
    migrate(url)
    return dataclasses.replace(
        config.settings(),
        warehouse_url=url,
        data_dir=root,
        landing_dir=root / "landing",
        lake_dir=root / "lake",
    )


@pytest.fixture(scope="module")
def ran(spark: SparkSession, settings: config.Settings) -> dict:
    """The whole day through every stage, as retail_daily runs them."""
    s = settings
    write_day(s.landing_dir, FILES)
    out = {"landing": run_gate("landing", DAY_D, run_id="corpus", settings=s)}
    out["report"] = run_clean(spark, DAY, "corpus", str(s.landing_dir), str(s.lake_dir))
    out["silver"] = run_gate("silver", DAY_D, run_id="corpus", settings=s)
    kpis.run(spark, s.lake_dir, DAY_D, "corpus")
    out["kpi"] = run_gate("kpi", DAY_D, run_id="corpus", settings=s)
    out["load"] = load_date(DAY_D, settings=s, run_id="corpus")
    out["warehouse"] = run_gate("warehouse", DAY_D, run_id="corpus", settings=s)
    return out


def test_every_record_is_counted_and_the_counts_reconcile(ran) -> None:
    entities = ran["report"]["entities"]
    expected: dict[str, int] = {}
    for rel, data in FILES.items():
        entity = rel.split("/")[0]
        expected[entity] = expected.get(entity, 0) + records(data)
    assert {e: c["rows_in"] for e, c in entities.items()} == expected
    assert ran["report"]["balanced"]
    for entity, c in entities.items():
        out = c["rows_clean"] + c["rows_quarantined"] + c["rows_deduplicated"]
        assert c["rows_in"] == out, entity


def _parquet_rows(folder: Path) -> list[dict]:
    return [r for f in sorted(folder.glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def test_every_bad_record_is_quarantined_with_its_reason_and_line(settings, ran) -> None:
    rows = [
        r for d in (settings.lake_dir / "quarantine").glob(f"*/dt={DAY}") for r in _parquet_rows(d)
    ]
    assert {(r["entity"], r["source_line"]): r["reason_code"] for r in rows} == EXPECTED_QUARANTINE
    files = {r["entity"]: r["source_file"] for r in rows}
    assert files["orders"] == f"orders/dt={DAY}/orders.csv"
    dups = [
        r
        for d in (settings.lake_dir / "_audit/clean" / f"dt={DAY}/duplicates").glob("*")
        for r in _parquet_rows(d)
    ]
    assert {
        (r["entity"], r["source_line"]): (r["duplicate_kind"], r["kept_source_line"]) for r in dups
    } == EXPECTED_DUPLICATES


def test_the_good_records_reach_silver_as_written(spark, settings, ran) -> None:
    silver = settings.lake_dir / "silver"
    customers = {r.customer_id: r for r in spark.read.parquet(str(silver / "customers")).collect()}
    assert set(customers) == {"C1", "C3"}
    assert customers["C3"].city == "Aus tin"  # the CR squashed like any whitespace in a name
    orders = {r.order_id: r.status for r in spark.read.parquet(str(silver / "orders")).collect()}
    assert orders == {"O1": "completed", "O2": "completed", "O4": "refunded"}
    products = {r.product_id for r in spark.read.parquet(str(silver / "products")).collect()}
    assert products == {"P1", "P2"}


def test_the_gates_pass_and_nothing_bad_reaches_the_warehouse(settings, ran) -> None:
    for gate in ("landing", "silver", "kpi", "warehouse"):
        assert ran[gate].success, gate
    with psycopg.connect(settings.warehouse_url) as conn:
        lines = conn.execute(
            "select order_id, line_number, unit_price_local from dw.fct_order_line order by 1, 2"
        ).fetchall()
        customers = conn.execute(
            "select customer_id from dw.dim_customer where customer_id <> 'UNKNOWN' order by 1"
        ).fetchall()
    assert [(o, n) for o, n, _ in lines] == [("O1", 1), ("O2", 1), ("O4", 1)]
    assert max(p for _, _, p in lines) < 1000
    assert customers == [("C1",), ("C3",)]  # C2's NUL stayed in quarantine


@pytest.mark.parametrize(
    ("rel", "data", "named"),
    [
        (  # reordered columns: the header is not the contract's
            "orders/dt={d}/orders.csv",
            b"customer_id,order_id,order_ts,country,currency,channel,payment_method,status\n",
            f"orders/dt={DAY}/orders.csv",
        ),
        ("orders/dt={d}/notes.txt", b"not data\n", f"orders/dt={DAY}/notes.txt"),  # unknown file
    ],
)
def test_a_file_that_cannot_be_read_stops_the_run_naming_it(
    spark: SparkSession, tmp_path: Path, rel: str, data: bytes, named: str
) -> None:
    write_day(tmp_path / "landing", {FX: FILES[FX], rel: data})
    with pytest.raises(LandingError, match=named):
        run_clean(spark, DAY, "corpus-bad", str(tmp_path / "landing"), str(tmp_path / "lake"))
    assert not (tmp_path / "lake" / "silver").exists()  # nothing committed
