"""The Kafka simulator's pure rules: arrival times, poison messages, defaults (no broker).

Expected values are written out by hand from the rules in docs/SOURCES.md.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from retail_kpi.events import topics
from retail_kpi.schemas import column_names
from simulator.commands import main
from simulator.kafka_sim import (
    MS_PER_DAY,
    POISON_KINDS,
    Message,
    arrival_times,
    day_start_ms,
    default_manifest_dir,
    own_time_ms,
    poison_messages,
)

DAY = dt.date(2026, 2, 3)
START = 1_770_076_800_000  # 2026-02-03T00:00:00Z in ms
HOUR = 3_600_000


def test_day_start() -> None:
    assert day_start_ms(DAY) == START


@pytest.mark.parametrize("entity", ["customers", "products", "inventory", "fx_rates"])
def test_reference_entities_arrive_at_midnight(entity: str) -> None:
    assert own_time_ms(entity, {"updated_at": "2025-03-01T10:00:00"}, DAY, {}) == START
    assert own_time_ms(entity, None, DAY, {}) == START  # even an unparseable line


@pytest.mark.parametrize(
    ("entity", "record", "expected"),
    [
        ("orders", {"order_ts": "2026-02-03T10:30:00"}, START + 10 * HOUR + 1_800_000),
        ("orders", {"order_ts": "2026-02-01T10:30:00"}, None),  # late order of D-2
        ("orders", {"order_ts": "2028-02-03T10:30:00"}, None),  # future_date defect
        ("orders", {"order_ts": None}, None),
        ("orders", {"order_ts": "not a time"}, None),
        ("web_sessions", {"session_start_ts": "2026-02-03T00:00:01"}, START + 1000),
        ("returns", {"return_ts": "2026-02-03T23:59:59"}, START + MS_PER_DAY - 1000),
        ("returns", {"return_ts": "2026-02-04T00:00:00"}, None),  # end is exclusive
        # shipments: the latest of shipped/delivered that falls on the day
        ("shipments", {"shipped_ts": "2026-02-03T01:00:00", "delivered_ts": "2026-02-03T05:00:00"},
         START + 5 * HOUR),
        ("shipments", {"shipped_ts": "2026-02-02T01:00:00", "delivered_ts": "2026-02-03T05:00:00"},
         START + 5 * HOUR),
        ("shipments", {"shipped_ts": "2026-02-03T01:00:00", "delivered_ts": "2026-02-04T05:00:00"},
         START + HOUR),
        ("shipments", {"shipped_ts": "2026-02-03T01:00:00", "delivered_ts": None}, START + HOUR),
        ("shipments", {"shipped_ts": "2026-01-28T01:00:00", "delivered_ts": "2026-01-30T05:00:00"},
         None),  # a D-7 order finished before the day
        ("orders", None, None),  # unparseable line
    ],
)  # fmt: skip
def test_transactional_entities_arrive_at_their_own_time(
    entity: str, record: dict | None, expected: int | None
) -> None:
    assert own_time_ms(entity, record, DAY, {}) == expected


def test_order_lines_arrive_with_their_order() -> None:
    arrivals = {"O1": START + 7 * HOUR}
    assert own_time_ms("order_items", {"order_id": "O1", "line_number": "2"}, DAY, arrivals) == (
        START + 7 * HOUR
    )
    assert own_time_ms("order_items", {"order_id": "O2"}, DAY, arrivals) is None


def test_records_without_a_time_on_the_day_get_a_seeded_time_of_the_day() -> None:
    records = [
        {"order_ts": "2026-02-03T02:00:00"},
        {"order_ts": "2026-02-02T02:00:00"},
        None,
        {"order_ts": "2030-01-01T00:00:00"},
    ]

    def draw() -> list[int]:
        return arrival_times("orders", records, DAY, np.random.default_rng(5), {})

    first = draw()
    assert first[0] == START + 2 * HOUR
    assert all(START <= t < START + MS_PER_DAY for t in first)
    assert first == draw()  # same stream, same times
    assert len(set(first[1:])) == 3


def _messages(n: int) -> tuple[list[Message], list[dict | None]]:
    records: list[dict | None] = [
        {c: f"{c}-{i}" for c in column_names("orders")} | {"order_id": f"O{i}"} for i in range(n)
    ]
    msgs = [
        Message("orders", json.dumps(r).encode(), f"O{i}", START + i, i + 1)
        for i, r in enumerate(records)
    ]
    return msgs, records


def test_poison_messages_break_the_contract_one_way_each() -> None:
    msgs, records = _messages(12)
    out = poison_messages("orders", msgs, records, np.random.default_rng(3), frozenset({1, 2}))
    by_kind = {m.poison: m for m in out}
    assert sorted(by_kind) == sorted(POISON_KINDS)
    assert all(m.line not in {1, 2} for m in out), "a defective line was copied"
    with pytest.raises(ValueError):
        json.loads(by_kind["not_json"].value)
    schema = json.loads(by_kind["wrong_schema"].value)
    assert "status" not in schema and schema["schema_version"] == "2"
    big = by_kind["oversized"]
    assert len(big.value) > topics.MAX_MESSAGE_BYTES
    assert list(json.loads(big.value)) == column_names("orders")
    wrong = by_kind["wrong_key"]
    assert wrong.value == msgs[wrong.line - 1].value
    assert wrong.key != msgs[wrong.line - 1].key
    for m in out:  # a copy arrives with the record it copies
        assert m.timestamp_ms == msgs[m.line - 1].timestamp_ms
    assert out == poison_messages(
        "orders", msgs, records, np.random.default_rng(3), frozenset({1, 2})
    )


def test_no_poison_without_two_clean_records() -> None:
    msgs, records = _messages(1)
    assert poison_messages("orders", msgs, records, np.random.default_rng(0)) == []


def test_manifests_go_beside_landing_never_inside(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETAIL_LANDING_DIR", str(tmp_path / "data" / "landing"))
    assert default_manifest_dir() == tmp_path / "data" / "simulator" / "kafka"


def test_follow_needs_a_speed(capsys) -> None:
    with pytest.raises(SystemExit, match="--follow needs --date and --speed"):
        main(["produce", "--date", "2026-02-03", "--follow", "--bootstrap", "127.0.0.1:1"])


@pytest.mark.parametrize("speed", ["0", "-3", "fast"])
def test_speed_must_be_positive(speed: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["produce", "--date", "2026-02-03", "--speed", speed])
    assert exc.value.code == 2
    assert "is not a positive number" in capsys.readouterr().err


def test_a_window_keeps_the_messages_arriving_in_it_and_midnight_ends_the_day():
    import datetime as dt

    from simulator.kafka_sim import Message, day_start_ms, in_window

    day = dt.date(2026, 2, 3)
    start = day_start_ms(day)
    stamps = [0, 599_999, 600_000, 86_399_999]  # 00:00, 00:09:59.999, 00:10, 23:59:59.999
    msgs = [Message("orders", b"{}", f"k{i}", start + ms, i) for i, ms in enumerate(stamps)]
    first = in_window({"orders": msgs}, day, (dt.time(0), dt.time(0, 10)))
    assert [m.key for m in first["orders"]] == ["k0", "k1"]
    rest = in_window({"orders": msgs}, day, (dt.time(0, 10), dt.time(0)))
    assert [m.key for m in rest["orders"]] == ["k2", "k3"]
