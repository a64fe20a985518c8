"""The generator's files: exact contract, determinism, idempotent reruns, clean records.

Expected values are computed here from the files themselves (parsing with the csv and
json modules, recomputing prices from the products and fx files), never by calling the
generator's own helpers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from retail_kpi import paths
from retail_kpi.config import Settings
from retail_kpi.schemas import COUNTRIES, LANDING, column_names
from simulator import DefectRates, generate_day

DAY = dt.date(2024, 3, 14)
SMALL = {"orders": 300, "customers": 800, "products": 40}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return [dict(zip(header, row, strict=True)) for row in reader]


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def clean_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    generate_day(DAY, root, seed=7, defects=DefectRates.none(), **SMALL)
    return root


def _settings(root: Path) -> Settings:
    return Settings("", root, root, root, "local[1]", 7, 300, 800, 40)


def test_every_entity_lands_with_the_contract_header_and_manifest(clean_root: Path) -> None:
    s = _settings(clean_root)
    manifest = json.loads(paths.manifest(s, DAY).read_text())
    assert manifest["date"] == DAY.isoformat() and manifest["seed"] == 7
    assert set(manifest["counts"]) == set(LANDING)
    assert manifest["defects"] == []
    for entity in LANDING:
        path = paths.landing(s, entity, DAY) / f"{entity}.csv"
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(column_names(entity))
        assert len(text.splitlines()) - 1 == manifest["counts"][entity] > 0, entity


def _check_type(value: str, typ: str) -> None:
    if typ == "int":
        int(value)
    elif typ == "decimal":
        Decimal(value)
    elif typ == "timestamp":
        assert len(value) == 19 and value[10] == "T"
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
    elif typ == "date":
        dt.date.fromisoformat(value)
    elif typ == "boolean":
        assert value in ("true", "false")


def test_clean_records_obey_the_schema_types(clean_root: Path) -> None:
    s = _settings(clean_root)
    for entity, columns in LANDING.items():
        for row in _read_csv(paths.landing(s, entity, DAY) / f"{entity}.csv"):
            for col in columns:
                value = row[col.name]
                if not col.nullable:
                    assert value != "", (entity, col.name)
                if value:
                    _check_type(value, col.type)
            if "country" in row:
                assert row["country"] in COUNTRIES, (entity, row)


def test_clean_references_resolve_and_orders_fall_inside_the_day(clean_root: Path) -> None:
    s = _settings(clean_root)
    read = {e: _read_csv(paths.landing(s, e, DAY) / f"{e}.csv") for e in LANDING}
    customers = {r["customer_id"]: r for r in read["customers"]}
    products = {r["product_id"] for r in read["products"]}
    assert all(dt.date.fromisoformat(c["registration_date"]) <= DAY for c in customers.values())
    orders = {r["order_id"]: r for r in read["orders"]}
    for o in orders.values():
        assert o["customer_id"] in customers
        assert o["order_ts"].startswith(DAY.isoformat())
        assert o["currency"] == COUNTRIES[o["country"]]
    for item in read["order_items"]:
        assert item["order_id"] in orders and item["product_id"] in products
        assert int(item["quantity"]) > 0
        assert Decimal("0") <= Decimal(item["discount_pct"]) < Decimal("0.3")
    for ret in read["returns"]:
        assert ret["order_id"][1:9] < DAY.strftime("%Y%m%d")  # an earlier day's order
        assert ret["return_ts"].startswith(DAY.isoformat())
    for ship in read["shipments"]:
        assert ship["shipped_ts"] < (DAY + dt.timedelta(days=1)).isoformat()
    assert len(read["inventory"]) == len(COUNTRIES) * SMALL["products"]
    assert {r["country"] for r in read["inventory"]} == set(COUNTRIES)


def test_unit_price_is_the_list_price_in_local_currency(clean_root: Path) -> None:
    s = _settings(clean_root)
    price = {
        r["product_id"]: Decimal(r["list_price_usd"])
        for r in _read_csv(paths.landing(s, "products", DAY) / "products.csv")
    }
    fx_rows = _read_csv(paths.landing(s, "fx_rates", DAY) / "fx_rates.csv")
    fx = {r["currency"]: Decimal(r["usd_per_unit"]) for r in fx_rows}
    assert fx["USD"] == 1 and set(fx) == {"USD", "CAD", "EUR", "MXN"}
    currency = {
        r["order_id"]: r["currency"]
        for r in _read_csv(paths.landing(s, "orders", DAY) / "orders.csv")
    }
    for item in _read_csv(paths.landing(s, "order_items", DAY) / "order_items.csv"):
        local = price[item["product_id"]] / fx[currency[item["order_id"]]]
        expected = local.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert abs(Decimal(item["unit_price"]) - expected) <= Decimal("0.01")


def test_same_seed_date_and_config_give_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_day(DAY, a, seed=3, **SMALL)
    generate_day(DAY, b, seed=3, **SMALL)
    assert _all_bytes(a) == _all_bytes(b)
    generate_day(DAY, b, seed=4, **SMALL)
    assert _all_bytes(a) != _all_bytes(b)


def test_rerun_replaces_the_partition_and_leaves_no_temp_files(tmp_path: Path) -> None:
    generate_day(DAY, tmp_path, seed=3, **SMALL)
    first = _all_bytes(tmp_path)
    stray = tmp_path / "orders" / f"dt={DAY}" / "stale.csv"
    stray.write_text("left over from an older run\n")
    generate_day(DAY, tmp_path, seed=3, **SMALL)
    assert _all_bytes(tmp_path) == first
    assert not [p for p in tmp_path.rglob(".*")]


def test_dates_are_independent(tmp_path: Path) -> None:
    """Day D alone equals day D generated after D-1 in the same folder."""
    alone, chained = tmp_path / "alone", tmp_path / "chained"
    generate_day(DAY, alone, seed=5, **SMALL)
    generate_day(DAY - dt.timedelta(days=1), chained, seed=5, **SMALL)
    generate_day(DAY, chained, seed=5, **SMALL)
    day_files = {k: v for k, v in _all_bytes(chained).items() if f"dt={DAY}" in k}
    assert day_files == _all_bytes(alone)


def test_jsonl_lines_carry_the_same_records_as_csv(tmp_path: Path) -> None:
    generate_day(DAY, tmp_path / "c", seed=9, defects=DefectRates.none(), **SMALL)
    generate_day(DAY, tmp_path / "j", seed=9, defects=DefectRates.none(), fmt="jsonl", **SMALL)
    for entity in LANDING:
        rows = _read_csv(tmp_path / "c" / entity / f"dt={DAY}" / f"{entity}.csv")
        text = (tmp_path / "j" / entity / f"dt={DAY}" / f"{entity}.jsonl").read_text("utf-8")
        records = [json.loads(line) for line in text.splitlines()]
        assert [list(r) for r in records[:1]] == [column_names(entity)]
        assert [{k: v or "" for k, v in r.items()} for r in records] == rows, entity


def test_interval_mode_writes_exactly_the_interval_of_the_day(tmp_path: Path) -> None:
    full = generate_day(
        DAY, tmp_path, seed=2, defects=DefectRates.none(), orders=3000, customers=800, products=40
    )
    assert full["counts"]["orders"] > 0
    start = dt.datetime(DAY.year, DAY.month, DAY.day, 18, 20)
    end = start + dt.timedelta(minutes=10)
    part = generate_day(
        DAY,
        tmp_path,
        seed=2,
        defects=DefectRates.none(),
        orders=3000,
        customers=800,
        products=40,
        interval=(start, end),
    )
    assert set(part["counts"]) == {"orders", "order_items", "web_sessions"}
    day_dir = tmp_path / "orders" / f"dt={DAY}"
    day_rows = _read_csv(day_dir / "orders.csv")
    in_window = [r for r in day_rows if start.isoformat() <= r["order_ts"] < end.isoformat()]
    part_rows = _read_csv(day_dir / "interval=1820" / "orders.csv")
    assert part_rows == in_window and len(part_rows) > 0
    sessions = _read_csv(
        tmp_path / "web_sessions" / f"dt={DAY}" / "interval=1820" / "web_sessions.csv"
    )
    assert all(start.isoformat() <= r["session_start_ts"] < end.isoformat() for r in sessions)
    manifest = tmp_path / "_manifest" / f"dt={DAY}" / "interval=1820" / "manifest.json"
    assert json.loads(manifest.read_text())["counts"] == part["counts"]


def test_customer_snapshots_show_history_across_consecutive_dates(tmp_path: Path) -> None:
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    snaps = []
    for day in days:
        generate_day(day, tmp_path, seed=1, defects=DefectRates.none(), **SMALL)
        rows = _read_csv(tmp_path / "customers" / f"dt={day}" / "customers.csv")
        snaps.append({r["customer_id"]: r for r in rows})
    changed = 0
    for before, after, day in zip(snaps, snaps[1:], days[1:], strict=False):
        assert set(before) <= set(after)
        for cid, old in before.items():
            new = after[cid]
            if new != old:
                changed += 1
                assert new["updated_at"].startswith(day.isoformat())
                assert new["updated_at"] > old["updated_at"]
    assert changed > 0


def test_reader_sees_broken_bytes_only_in_defective_lines(tmp_path: Path) -> None:
    generate_day(DAY, tmp_path, seed=11, defects=DefectRates.scaled(3), **SMALL)
    manifest = json.loads((tmp_path / "_manifest" / f"dt={DAY}" / "manifest.json").read_text())
    broken = {
        (e["entity"], e["source_line"]) for e in manifest["defects"] if e["kind"] == "non_utf8"
    }
    assert broken
    for entity in LANDING:
        raw = (tmp_path / entity / f"dt={DAY}" / f"{entity}.csv").read_bytes()
        for no, line in enumerate(io.BytesIO(raw).read().split(b"\n")[:-1], start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                assert (entity, no) in broken


def test_opening_date_keeps_after_sales_on_orders_from_it_on(tmp_path: Path) -> None:
    """With ``opened_on``, every shipment and return refers to an order of the landed days
    from the opening on (no ORPHAN_KEY for a new warehouse); without it, the first day
    already reports on the week before."""
    opened = DAY - dt.timedelta(days=2)
    days = [opened + dt.timedelta(days=i) for i in range(3)]  # opened .. DAY
    root = tmp_path / "opened"
    for day in days:
        generate_day(day, root, seed=7, defects=DefectRates.none(), opened_on=opened, **SMALL)
    s = _settings(root)
    orders = {
        r["order_id"]
        for day in days
        for r in _read_csv(paths.landing(s, "orders", day) / "orders.csv")
    }
    returns = [
        r for day in days for r in _read_csv(paths.landing(s, "returns", day) / "returns.csv")
    ]
    shipments = [
        r for day in days for r in _read_csv(paths.landing(s, "shipments", day) / "shipments.csv")
    ]
    # Shipments report on orders of 7 days before: none exist yet.
    assert shipments == []
    # Returns of the 2nd and 3rd day refer to the days before them, all landed here.
    assert returns and {r["order_id"] for r in returns} <= orders
    first = _read_csv(paths.landing(s, "returns", opened) / "returns.csv")
    assert first == []
    manifest = json.loads(paths.manifest(s, DAY).read_text())
    assert manifest["opened_on"] == opened.isoformat()

    plain = tmp_path / "plain"
    generate_day(opened, plain, seed=7, defects=DefectRates.none(), **SMALL)
    ps = _settings(plain)
    assert _read_csv(paths.landing(ps, "shipments", opened) / "shipments.csv")
    assert _read_csv(paths.landing(ps, "returns", opened) / "returns.csv")


def test_a_bulk_history_drop_holds_each_days_files_byte_for_byte(tmp_path: Path) -> None:
    """The same days generated one by one and as one drop landed on the last: the drop's
    file of day D is day D's file; the marker lists exactly the drop's files with their
    sizes and declares the window; the manifest's counts are the days' data lines."""
    from simulator.history import generate_history

    first, last = DAY - dt.timedelta(days=2), DAY
    days = [first + dt.timedelta(days=i) for i in range(3)]
    for day in days:
        generate_day(day, tmp_path / "daily", seed=7, **SMALL)
    generate_history(first, last, tmp_path / "bulk", seed=7, **SMALL)
    bulk = tmp_path / "bulk"
    lines: dict[str, int] = {}
    for entity in LANDING:
        folder = bulk / entity / f"dt={last.isoformat()}"
        assert sorted(p.name for p in folder.iterdir()) == [f"{entity}-{d}.csv" for d in days]
        for day in days:
            daily = (tmp_path / "daily" / entity / f"dt={day}" / f"{entity}.csv").read_bytes()
            assert (folder / f"{entity}-{day}.csv").read_bytes() == daily
            lines[entity] = lines.get(entity, 0) + daily.count(b"\n") - 1  # minus the header
    marker = json.loads((bulk / "_ready" / f"dt={last}.json").read_text())
    assert marker["history"] == {"from": str(first), "to": str(last)}
    assert marker["files"] == {
        p.relative_to(bulk).as_posix(): p.stat().st_size
        for p in bulk.glob(f"*/dt={last}/*.csv")
        if not p.relative_to(bulk).as_posix().startswith("_")
    }
    manifest = json.loads((bulk / "_manifest" / f"dt={last}" / "manifest.json").read_text())
    assert manifest["counts"] == lines
    assert [p.name for p in bulk.iterdir() if p.name.startswith(".")] == []  # no work folder
