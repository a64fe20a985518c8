"""Injected defects: each kind near its rate, listed exactly once, and really in the file.

The checks read the raw bytes at each manifest entry's ``source_line`` and verify the
defect there with plain Python (csv/json parsing, an own Levenshtein), so the manifest
is trustworthy ground truth for scoring the cleaning job.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from retail_kpi.schemas import COUNTRIES, COUNTRY_NAMES, REASON_CODES, column_names
from simulator import KINDS, DefectRates, generate_day, kinds_for
from simulator import defects as d

DAY = dt.date(2024, 5, 21)
RATES = DefectRates.scaled(4)  # enough defects at a small volume to test rates
VOLUME = {"orders": 2500, "customers": 4000, "products": 60}


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("dirty")
    manifest = generate_day(DAY, root, seed=21, defects=RATES, **VOLUME)
    return root, manifest


def _lines(root: Path, entity: str, suffix: str = "csv") -> list[bytes]:
    raw = (root / entity / f"dt={DAY}" / f"{entity}.{suffix}").read_bytes()
    return raw.split(b"\n")[:-1]


def _fields(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8")]))


def test_manifest_lists_each_defect_once(landed: tuple[Path, dict]) -> None:
    _, manifest = landed
    entries = manifest["defects"]
    assert {e["kind"] for e in entries} == set(KINDS)
    assert len({(e["entity"], e["source_line"]) for e in entries}) == len(entries)
    single = [
        (e["entity"], e["record_key"]) for e in entries if KINDS[e["kind"]].level != "duplicate"
    ]
    assert len(single) == len(set(single))  # at most one defect per record
    assert set(entries[0]) == {"entity", "record_key", "kind", "original_value", "source_line"}


def _base_records(manifest: dict, entity: str) -> int:
    """Records of the entity that were eligible: all lines minus extra copies and late ones."""
    extra = Counter(e["kind"] for e in manifest["defects"] if e["entity"] == entity)
    return (
        manifest["counts"][entity]
        - extra[d.EXACT_DUPLICATE]
        - extra[d.NEAR_DUPLICATE]
        - extra[d.LATE_ARRIVING]
    )


@pytest.mark.parametrize("kind", [k for k in KINDS if k != d.LATE_ARRIVING])
def test_each_kind_is_near_its_configured_rate(landed: tuple[Path, dict], kind: str) -> None:
    _, manifest = landed
    found = Counter(e["entity"] for e in manifest["defects"] if e["kind"] == kind)
    rate = RATES.rate(kind)
    for entity in kinds_entities(kind):
        n = _base_records(manifest, entity)
        sigma = math.sqrt(n * rate * (1 - rate))
        assert abs(found[entity] - n * rate) <= 4 * sigma + 2, (entity, found[entity], n * rate)


def kinds_entities(kind: str) -> list[str]:
    return [e for e in KINDS[kind].targets if kind in kinds_for(e)]


def test_late_orders_are_about_their_rate_and_come_from_earlier_days(
    landed: tuple[Path, dict],
) -> None:
    root, manifest = landed
    late = [e for e in manifest["defects"] if e["kind"] == d.LATE_ARRIVING]
    orders = [e for e in late if e["entity"] == "orders"]
    expected = RATES.late_arriving * VOLUME["orders"]
    assert 0.4 * expected < len(orders) < 2.0 * expected
    lines = _lines(root, "orders")
    for e in orders:
        row = _fields(lines[e["source_line"] - 1])
        business = dt.date.fromisoformat(e["original_value"])
        assert 1 <= (DAY - business).days <= 3
        assert row[0] == e["record_key"] and row[2].startswith(e["original_value"])
    late_items = {e["record_key"].split("|")[0] for e in late if e["entity"] == "order_items"}
    assert late_items == {e["record_key"] for e in orders}


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalpha())


def test_typos_stay_recognisable_and_unknowns_do_not() -> None:
    for code, typos in d.COUNTRY_TYPOS.items():
        for typo in typos:
            assert _levenshtein(_key(typo), _key(COUNTRY_NAMES[code])) <= 2, typo
    for code, variants in d.COUNTRY_VARIANTS.items():
        for variant in variants:
            assert _key(variant) in (code, _key(COUNTRY_NAMES[code])), variant
    targets = [_key(n) for n in COUNTRY_NAMES.values()] + list(COUNTRIES)
    for unknown in d.UNKNOWN_COUNTRIES:
        assert min(_levenshtein(_key(unknown), t) for t in targets) >= 3, unknown


def _check_value(kind: str, original: str, value: str) -> None:
    if kind.startswith("missing_"):
        assert value == ""
    elif kind == d.COUNTRY_TYPO:
        assert value in d.COUNTRY_TYPOS[original]
    elif kind == d.COUNTRY_VARIANT:
        assert value in d.COUNTRY_VARIANTS[original]
    elif kind == d.UNKNOWN_COUNTRY:
        assert value in d.UNKNOWN_COUNTRIES
    elif kind == d.MALFORMED_EMAIL:
        domain = value.rpartition("@")[2]
        bad_shape = value.count("@") != 1 or " " in value
        assert value != original and (bad_shape or "." not in domain or domain.startswith("."))
    elif kind == d.NON_POSITIVE_QUANTITY:
        assert int(value) <= 0
    elif kind == d.ABSURD_PRICE:
        assert float(value) <= 0 or float(value) >= 500 * float(original)
    elif kind == d.FUTURE_DATE:
        assert dt.datetime.fromisoformat(value).date() > DAY + dt.timedelta(days=300)
    elif kind == d.ORPHAN_PRODUCT:
        assert value.startswith("P9") and value != original
    else:
        raise AssertionError(kind)


def _norm(value: str) -> object:
    """What a cleaning step compares: numbers by value, text trimmed and case-folded."""
    try:
        return Decimal(value)
    except InvalidOperation:
        return value.strip().lower()


def test_every_entry_points_at_its_defect_in_the_file(landed: tuple[Path, dict]) -> None:
    root, manifest = landed
    files = {e: _lines(root, e) for e in {x["entity"] for x in manifest["defects"]}}
    seen_keys: dict[str, set[str]] = {}
    for e in manifest["defects"]:
        entity, kind, spec = e["entity"], e["kind"], KINDS[e["kind"]]
        names = column_names(entity)
        line = files[entity][e["source_line"] - 1]
        if spec.level == "value":
            row = _fields(line)
            assert row[0] == e["record_key"].split("|")[0]
            _check_value(kind, e["original_value"], row[names.index(spec.targets[entity])])
        elif kind == d.NON_UTF8:
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
        elif kind == d.WRONG_FIELD_COUNT:
            assert len(_fields(line)) != len(names)
        elif kind == d.BROKEN_QUOTING:
            assert line.count(b'"') % 2 == 1 and len(_fields(line)) != len(names)
        elif kind == d.EXACT_DUPLICATE:
            assert line.decode() == e["original_value"]
            assert files[entity].index(line) < e["source_line"] - 1
        elif kind == d.NEAR_DUPLICATE:
            row, orig = _fields(line), e["original_value"].split(",")
            assert row != orig and row[:1] == orig[:1]
            assert [_norm(v) for v in row] == [_norm(v) for v in orig]
        seen_keys.setdefault(entity, set()).add(e["record_key"])
    assert seen_keys


def test_expected_outcomes_use_documented_reason_codes() -> None:
    for kind, spec in KINDS.items():
        assert spec.outcome in (d.REPAIRED, d.QUARANTINED, d.DEDUPLICATED), kind
        assert (spec.reason_code is not None) == (spec.outcome == d.QUARANTINED), kind
        assert spec.reason_code is None or spec.reason_code in REASON_CODES


def test_jsonl_defects_break_only_their_lines(tmp_path: Path) -> None:
    manifest = generate_day(
        DAY, tmp_path, seed=21, defects=RATES, fmt="jsonl", orders=800, customers=1500, products=40
    )
    broken = {
        (e["entity"], e["source_line"])
        for e in manifest["defects"]
        if KINDS[e["kind"]].level == "line"
    }
    assert broken
    for entity in ("customers", "orders", "order_items", "web_sessions"):
        for no, line in enumerate(_lines(tmp_path, entity, "jsonl"), start=1):
            try:
                record = json.loads(line.decode("utf-8"))
                ok = list(record) == column_names(entity)
            except (UnicodeDecodeError, json.JSONDecodeError):
                ok = False
            assert ok != ((entity, no) in broken), (entity, no, line[:80])


def test_no_defects_when_rates_are_zero(tmp_path: Path) -> None:
    manifest = generate_day(
        DAY, tmp_path, seed=1, defects=DefectRates.none(), orders=200, customers=500, products=20
    )
    assert manifest["defects"] == []


def test_invalid_rates_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be in"):
        generate_day(DAY, tmp_path, defects=DefectRates(missing_age=1.5))
    with pytest.raises(ValueError, match="sum to"):
        DefectRates.scaled(20).validate()
