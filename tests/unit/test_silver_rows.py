"""tests/silver_rows.py: a row in; out, a file with the contract's types in the clean job's
layout. Expected types come from retail_kpi/schemas.py and rules.DECIMALS, read by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.silver_rows import write_partition, write_rows, write_table


def test_a_row_becomes_one_file_with_the_contract_types(tmp_path: Path) -> None:
    path = write_partition(
        tmp_path,
        "fx_rates",
        "2024-03-01",
        "2024-03-02",
        [{"rate_date": "2024-03-01", "currency": "MXN", "usd_per_unit": "0.058"}],
    )

    assert path == tmp_path / "fx_rates/dt=2024-03-01/ingest_dt=2024-03-02/part-00000.parquet"
    table = pq.read_table(path)
    assert table.schema == pa.schema(
        [
            ("rate_date", pa.date32()),
            ("currency", pa.string()),
            ("usd_per_unit", pa.decimal128(18, 8)),
        ]
    )
    assert table.to_pylist() == [
        {"rate_date": dt.date(2024, 3, 1), "currency": "MXN", "usd_per_unit": Decimal("0.05800000")}
    ]


def test_missing_columns_are_null_and_ingest_date_is_the_landing_date(tmp_path: Path) -> None:
    row = {"order_id": "O1", "line_number": 2, "order_date": dt.date(2024, 3, 1),
           "order_ts": "2024-03-01T10:00:00", "discount_pct": 0.05}  # fmt: skip

    (path,) = write_rows(tmp_path, "order_items", [row], ingest=dt.date(2024, 3, 2))

    assert path.parent == tmp_path / "order_items/dt=2024-03-01/ingest_dt=2024-03-02"
    table = pq.read_table(path)
    assert len(table.column_names) == 20  # every order_items column of the contract
    assert table.schema.field("discount_pct").type == pa.decimal128(6, 4)
    assert table.schema.field("net_amount_usd").type == pa.decimal128(18, 2)
    assert table.schema.field("order_ts").type == pa.timestamp("us", tz="UTC")
    got = table.to_pylist()[0]
    assert got["order_ts"] == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert got["discount_pct"] == Decimal("0.0500")
    assert got["ingest_date"] == dt.date(2024, 3, 2)
    assert got["product_id"] is None and got["quantity"] is None


def test_a_snapshot_without_a_landing_date_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers: snapshot rows need an ingest date"):
        write_rows(tmp_path, "customers", [{"customer_id": "C1"}])


def test_a_table_replaces_its_partition_and_must_match_the_contract(tmp_path: Path) -> None:
    folder = tmp_path / "fx_rates/dt=2024-03-01/ingest_dt=2024-03-01"
    folder.mkdir(parents=True)
    (folder / "part-00007.parquet").write_bytes(b"left by an earlier run")
    rates = pa.table({"currency": ["USD"], "usd_per_unit": pa.array([Decimal("1")]),
                      "rate_date": pa.array([dt.date(2024, 3, 1)])})  # fmt: skip

    write_table(tmp_path, "fx_rates", "2024-03-01", "2024-03-01", rates)

    assert [p.name for p in folder.iterdir()] == ["part-00000.parquet"]
    table = pq.read_table(folder)
    assert table.column_names == ["rate_date", "currency", "usd_per_unit"]
    assert table.to_pylist()[0]["usd_per_unit"] == Decimal("1.00000000")
    with pytest.raises(ValueError, match=r"fx_rates: columns \['currency'\] differ"):
        write_table(tmp_path, "fx_rates", "2024-03-01", "2024-03-01", rates.drop(["currency"]))
