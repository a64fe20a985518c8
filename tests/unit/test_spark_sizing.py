"""Small inputs run interpreted (spark_jobs.common.sized_for), and the session is restored."""

from __future__ import annotations

import pytest

from spark_jobs.common import sized_for

MB = 1024 * 1024


def _mode(spark) -> tuple[str | None, str | None]:
    return (
        spark.conf.get("spark.sql.codegen.wholeStage", None),
        spark.conf.get("spark.sql.codegen.factoryMode", None),
    )


@pytest.mark.parametrize(
    ("limit_mb", "input_bytes", "small"),
    [("64", 10 * MB, True), ("64", 64 * MB, False), ("0", 1, False)],
)
def test_interprets_below_the_limit_and_restores_the_session(
    spark, monkeypatch, limit_mb: str, input_bytes: int, small: bool
) -> None:
    monkeypatch.setenv("RETAIL_SPARK_INTERPRET_BELOW_MB", limit_mb)
    before = _mode(spark)
    with sized_for(spark, input_bytes) as switched:
        assert switched is small
        inside = _mode(spark)
        # The same query gives the same answer either way.
        got = spark.range(10).selectExpr("sum(id * 2) as s").collect()[0]["s"]
    assert got == 90
    if small:
        assert inside == ("false", "NO_CODEGEN")
    else:
        assert inside == before
    assert _mode(spark) == before
