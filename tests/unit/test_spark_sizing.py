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
    monkeypatch.setenv("RETAIL_SPARK_SMALL_BATCH_MB", limit_mb)
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


def _landing(tmp_path, files: dict[str, int]):
    for rel, size in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    return tmp_path


def test_landing_bytes_counts_whole_day_and_interval_files_of_that_date_only(tmp_path) -> None:
    from retail_kpi.batch_size import landing_bytes

    landing = _landing(
        tmp_path,
        {
            "orders/dt=2026-03-11/orders.csv": 300,
            "order_items/dt=2026-03-11/interval=1200/order_items.csv": 50,
            "order_items/dt=2026-03-11/interval=1210/order_items.csv": 7,
            "orders/dt=2026-03-12/orders.csv": 1000,  # another date
        },
    )
    assert landing_bytes(landing, "2026-03-11") == 357
    assert landing_bytes(landing, "2026-03-13") == 0


@pytest.mark.parametrize(
    ("base", "landed_mb", "expected"),
    [
        ("-Xss4m", 1, "-XX:TieredStopAtLevel=1 -Xss4m"),  # small batch: C1 only
        ("-Xss4m", 64, "-Xss4m"),  # at the threshold: big batch, full JIT
        ("none", 1, "-XX:TieredStopAtLevel=1"),
        ("none", 100, None),
    ],
)
def test_driver_java_options_follow_the_dates_volume(
    tmp_path, monkeypatch, base: str, landed_mb: int, expected: str | None
) -> None:
    from retail_kpi.ops.spark import JAVA_OPTIONS, sized_conf

    monkeypatch.setenv("RETAIL_SPARK_SMALL_BATCH_MB", "64")
    monkeypatch.setenv("RETAIL_SPARK_DRIVER_JAVA_OPTIONS", base)
    landing = _landing(tmp_path, {"orders/dt=2026-03-11/orders.csv": landed_mb * MB})
    conf = sized_conf({"spark.ui.enabled": "false"}, landing, "2026-03-11")
    assert conf.get(JAVA_OPTIONS) == expected
    assert conf["spark.ui.enabled"] == "false"
    # Options set on the task itself win.
    assert sized_conf({JAVA_OPTIONS: "-Dx=1"}, landing, "2026-03-11") == {JAVA_OPTIONS: "-Dx=1"}


def test_a_bad_threshold_stops_with_one_sentence(monkeypatch) -> None:
    from retail_kpi.batch_size import is_small

    monkeypatch.setenv("RETAIL_SPARK_SMALL_BATCH_MB", "lots")
    with pytest.raises(SystemExit, match="RETAIL_SPARK_SMALL_BATCH_MB='lots' is not a number"):
        is_small(1)


def test_a_kafka_fed_date_counts_its_messages_three_times_against_the_threshold(
    tmp_path, monkeypatch
) -> None:
    """Kafka messages live in the lake as Parquet, about a third of their JSON text: a date
    with 30 MB of them and no files is a big batch at a 64 MB threshold (90 MB)."""
    from retail_kpi.ops.spark import JAVA_OPTIONS, sized_conf

    monkeypatch.setenv("RETAIL_SPARK_SMALL_BATCH_MB", "64")
    monkeypatch.setenv("RETAIL_SPARK_DRIVER_JAVA_OPTIONS", "none")
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    landing.mkdir()
    part = lake / "raw/kafka/batch=4/entity=orders/dt=2026-03-11/part-0.parquet"
    part.parent.mkdir(parents=True)
    with part.open("wb") as fh:
        fh.truncate(30 * MB)
    other_day = lake / "raw/kafka/batch=4/entity=orders/dt=2026-03-12/part-0.parquet"
    other_day.parent.mkdir(parents=True)
    other_day.write_bytes(b"x")
    assert sized_conf({}, landing, "2026-03-11", lake).get(JAVA_OPTIONS) is None  # big
    assert sized_conf({}, landing, "2026-03-11").get(JAVA_OPTIONS) == "-XX:TieredStopAtLevel=1"
    assert sized_conf({}, landing, "2026-03-12", lake).get(JAVA_OPTIONS) == (
        "-XX:TieredStopAtLevel=1"
    )
