"""Spark twins of the rule tables agree with the pure-Python rules and hand values."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual

from retail_kpi.cleaning import countries
from simulator import defects
from spark_jobs import conform_rules as R
from spark_jobs.clean_sales import line_amounts

CORPUS = [
    *[t for ts in defects.COUNTRY_TYPOS.values() for t in ts],
    *[v for vs in defects.COUNTRY_VARIANTS.values() for v in vs],
    *defects.UNKNOWN_COUNTRIES,
    *countries.ALIASES,
    "México",
    "Panama",
    "  ",
    "",
    "u.s.a.",
    "Deutschland ",
    "FRNACE",
    "X",
    "Canadá",
]


def _spark_codes(spark: SparkSession, values: list[str | None]) -> list[str | None]:
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, country string")
    rows = df.select("i", R.country_code("country").alias("code")).orderBy("i").collect()
    return [r.code for r in rows]


def test_spark_country_rule_equals_python_rule_on_corpus(spark: SparkSession) -> None:
    expected = [countries.standardise_country(v) for v in CORPUS]
    assert _spark_codes(spark, CORPUS) == expected
    assert expected[CORPUS.index("Panama")] is None
    assert expected[CORPUS.index("Canadá")] == "CAN"


@settings(max_examples=5, deadline=None)
@given(
    st.lists(
        st.text(alphabet="aAcdeEfFgGiInNmMrRsStTuUxXyY .é-", max_size=14), min_size=40, max_size=40
    )
)
def test_spark_country_rule_equals_python_rule_on_random_text(
    spark: SparkSession, values: list[str]
) -> None:
    assert _spark_codes(spark, values) == [countries.standardise_country(v) for v in values]


def test_bands_match_hand_table(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(17, D("0")), (24, D("0.0499")), (25, D("0.05")), (64, D("0.0999")), (65, D("0.10"))],
        "age int, pct decimal(6,4)",
    )
    got = df.select(R.age_group(df.age).alias("g"), R.discount_band(df.pct).alias("b"))
    expected = [
        Row("18-24", "None"),
        Row("18-24", "Low"),
        Row("25-34", "Medium"),
        Row("55-64", "Medium"),
        Row("65+", "High"),
    ]
    assertDataFrameEqual(got, expected, checkRowOrder=False)


def test_line_amounts_round_half_up_once(spark: SparkSession) -> None:
    # 3 x 3.35 = 10.05; x 0.15 = 1.5075 -> 1.51; USD at 0.05: 0.5025 -> 0.50 and
    # 0.075375 -> 0.08 (rate applied to the unrounded local amount)
    df = spark.createDataFrame(
        [(3, D("3.35"), D("0.15"), D("0.05"))],
        "q int, p decimal(24,8), d decimal(24,8), fx decimal(18,8)",
    )
    amounts = line_amounts(df.q, df.p, df.d, df.fx)
    got = df.select(*[c.alias(n) for n, c in amounts.items()])
    expected = [Row(D("10.05"), D("1.51"), D("8.54"), D("0.50"), D("0.08"), D("0.42"))]
    assertDataFrameEqual(got, expected)
