"""Pure-Python cleaning rules: country mapping, bands, rounding, reconciliation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from retail_kpi.cleaning import countries, rules
from retail_kpi.cleaning.reconcile import EntityCounts, ReconciliationError, check, report
from simulator import defects


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("USA", "USA"),
        (" u.s.a. ", "USA"),
        ("United States of America", "USA"),
        ("México", "MEX"),
        ("Deutschland", "DEU"),
        ("Frnace", "FRA"),  # transposition: two Levenshtein edits, accepted as an anagram
        ("Untied States", "USA"),
        ("Canda", "CAN"),
        ("Germny", "DEU"),
    ],
)
def test_country_variants_and_typos_map_to_iso(raw: str, code: str) -> None:
    assert countries.standardise_country(raw) == code


@pytest.mark.parametrize("raw", ["Panama", "Narnia", "Wakanda", "UK", "Mars", "", "  ", None, "X"])
def test_unknown_or_missing_countries_are_not_guessed(raw: str | None) -> None:
    assert countries.standardise_country(raw) is None


def test_every_generator_country_defect_gets_the_right_outcome() -> None:
    for code, typos in defects.COUNTRY_TYPOS.items():
        for typo in typos:
            assert countries.standardise_country(typo) == code, typo
    for code, variants in defects.COUNTRY_VARIANTS.items():
        for variant in variants:
            assert countries.standardise_country(variant) == code, variant
    for unknown in defects.UNKNOWN_COUNTRIES:
        assert countries.standardise_country(unknown) is None, unknown


def test_levenshtein_matches_hand_computed_distances() -> None:
    assert countries.levenshtein("kitten", "sitting") == 3
    assert countries.levenshtein("FRNACE", "FRANCE") == 2
    assert countries.levenshtein("", "ABC") == 3


@pytest.mark.parametrize(
    ("age", "group"),
    [
        (18, "18-24"),
        (24, "18-24"),
        (25, "25-34"),
        (44, "35-44"),
        (64, "55-64"),
        (65, "65+"),
        (100, "65+"),
    ],
)
def test_age_groups(age: int, group: str) -> None:
    assert rules.age_group(age) == group


@pytest.mark.parametrize(
    ("pct", "band"),
    [
        ("0", "None"),
        ("0.01", "Low"),
        ("0.0499", "Low"),
        ("0.05", "Medium"),
        ("0.0999", "Medium"),
        ("0.10", "High"),
        ("0.5", "High"),
    ],
)
def test_discount_bands(pct: str, band: str) -> None:
    assert rules.discount_band(Decimal(pct)) == band


def test_money_rounds_half_up() -> None:
    assert rules.round_money(Decimal("1.005")) == Decimal("1.01")
    assert rules.round_money(Decimal("2.675")) == Decimal("2.68")
    assert rules.round_money(Decimal("-1.005")) == Decimal("-1.01")


def test_reconciliation_balances_and_names_the_broken_entity() -> None:
    good = EntityCounts("orders", 10, 10, 7, 2, 1)
    bad = EntityCounts("order_items", 10, 10, 7, 1, 1)
    check([good], outputs="lake/_staging/clean/dt=2026-03-10")
    doc = report([good, bad], run_id="r", landing_date="2026-03-10")
    assert doc["balanced"] is False
    assert doc["entities"]["orders"]["balanced"] is True
    with pytest.raises(ReconciliationError, match="order_items: in=10") as err:
        check([good, bad], outputs="lake/_staging/clean/dt=2026-03-10")
    assert "nothing was committed" in str(err.value)
    assert "lake/_staging/clean/dt=2026-03-10" in str(err.value)


def test_a_record_of_a_bulk_history_window_is_never_too_old():
    landing, start = dt.date(2026, 8, 31), dt.date(2026, 5, 1)
    assert rules.is_too_old(dt.date(2026, 6, 1), landing)  # 91 days: too old to be late
    assert not rules.is_too_old(dt.date(2026, 6, 2), landing)  # 90 days
    assert not rules.is_too_old(dt.date(2026, 5, 1), landing, history_from=start)
    assert rules.is_too_old(dt.date(2026, 4, 30), landing, history_from=start)
