"""Blocking vs warning and the one-sentence failure message, on hand-built outcomes."""

from __future__ import annotations

import datetime as dt

from retail_kpi.quality.policy import GateResult, Outcome, describe_observed, failure_message

DAY = dt.date(2026, 1, 5)


def outcome(suite: str, policy: str, success: bool, **kw) -> Outcome:
    base = dict(
        expectation="expect_column_values_to_be_between",
        column="quantity",
        observed_value="2 unexpected rows of 10, e.g. [0, -1]",
        unexpected_count=2,
    )
    base.update(kw)
    return Outcome(suite=suite, policy=policy, success=success, **base)


def result(*outcomes: Outcome) -> GateResult:
    return GateResult(
        "silver",
        DAY,
        "run-1",
        outcomes,
        "/docs/index.html",
        {"silver_order_items": "/docs/v/items.html"},
    )


def test_only_failed_blocking_checks_fail_the_gate() -> None:
    r = result(
        outcome("silver_orders", "blocking", True),
        outcome("silver_order_items", "warning", False),
    )
    assert r.success
    assert [o.suite for o in r.warnings] == ["silver_order_items"]
    assert not result(outcome("silver_orders", "blocking", False)).success


def test_message_names_suite_expectation_column_value_and_where_to_look() -> None:
    failed = outcome(
        "silver_order_items",
        "blocking",
        False,
        details={"sample_rows": [{"order_id": "O1", "line_number": 2, "quantity": 0}]},
    )
    assert failure_message(result(failed)) == (
        "Quality gate 'silver' failed for 2026-01-05: suite silver_order_items, expectation "
        "expect_column_values_to_be_between on column quantity observed 2 unexpected rows of "
        "10, e.g. [0, -1] (first rows: order_id=O1, line_number=2, quantity=0); see Data Docs "
        "/docs/v/items.html and audit.validation_result where run_id = 'run-1' for the "
        "unexpected rows."
    )


def test_message_counts_the_other_blocking_failures() -> None:
    failures = [outcome(f"s{i}", "blocking", False, column=f"c{i}") for i in range(6)]
    message = failure_message(result(*failures))
    assert "(and 5 more blocking failure(s): s1.expect_column_values_to_be_between(c1)," in message
    assert "+2 more)" in message
    assert "\n" not in message


def test_observed_value_in_words() -> None:
    assert describe_observed({"observed_value": 0}) == "0"
    assert (
        describe_observed(
            {"unexpected_count": 1, "element_count": 3, "partial_unexpected_list": [60]}
        )
        == "1 unexpected row of 3, e.g. [60]"
    )
    assert describe_observed({}) == "no observed value"


def test_summary_is_small_and_json_safe() -> None:
    r = result(outcome("silver_orders", "warning", False))
    assert r.summary() == {
        "layer": "silver",
        "date": "2026-01-05",
        "expectations": 1,
        "blocking_failures": 0,
        "warnings": 1,
        "data_docs": "/docs/index.html",
    }
