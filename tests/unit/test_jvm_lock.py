"""The lock format of the JVM artifacts (retail_kpi/services/jvm_lock.py): pure parsing."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from retail_kpi.services.jvm_lock import (
    JvmArtifactError,
    LockedJar,
    Problem,
    artifact_names,
    format_lock,
    parse_lock,
)

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def line(*fields: str) -> str:
    return "\t".join(fields) + "\n"


def test_parse_keeps_file_order_and_skips_comments_and_blank_lines() -> None:
    text = (
        "# header\n\n"
        + line("spark", "org.apache.kafka:kafka-clients:3.9.2", "kafka-clients-3.9.2.jar", SHA_A)
        + line("kafka-broker", "org.yaml:snakeyaml:2.5", "snakeyaml-2.5.jar", SHA_B)
    )
    assert parse_lock(text) == [
        LockedJar(
            "spark", "org.apache.kafka:kafka-clients:3.9.2", "kafka-clients-3.9.2.jar", SHA_A
        ),
        LockedJar("kafka-broker", "org.yaml:snakeyaml:2.5", "snakeyaml-2.5.jar", SHA_B),
    ]


def test_format_sorts_by_group_then_coordinates_and_round_trips() -> None:
    jars = [
        LockedJar("spark", "b.g:z:1", "z-1.jar", SHA_A),
        LockedJar("spark", "a.g:y:2", "y-2.jar", SHA_B),
        LockedJar("kafka-broker", "c.g:x:3", "x-3.jar", SHA_A),
    ]
    text = format_lock(jars)
    assert text.startswith("#")
    rows = [r.split("\t")[1] for r in text.splitlines() if not r.startswith("#")]
    assert rows == ["c.g:x:3", "a.g:y:2", "b.g:z:1"]
    assert parse_lock(text) == [jars[2], jars[1], jars[0]]


@pytest.mark.parametrize(
    ("bad_line", "why"),
    [
        ("spark\ta:b:1\tb-1.jar\n", "4 tab-separated fields"),
        (line("nope", "a:b:1", "b-1.jar", SHA_A), "unknown group"),
        (line("spark", "a:b", "b-1.jar", SHA_A), "bad coordinates"),
        (line("spark", "a:b:1", "b-1.jar", SHA_A[:63]), "64 lowercase hex"),
        (line("spark", "a:b:1", "b-1.jar", SHA_A.upper()), "64 lowercase hex"),
        (line("spark", "a:b:1", "b-1.zip", SHA_A), "bad or repeated file name"),
        (line("spark", "a:b:1", "../b-1.jar", SHA_A), "bad or repeated file name"),
    ],
)
def test_a_malformed_line_is_an_error_naming_its_number(bad_line: str, why: str) -> None:
    good = line("spark", "a:c:1", "c-1.jar", SHA_A)
    with pytest.raises(JvmArtifactError, match=rf"line 3: .*{why}"):
        parse_lock("# header\n" + good + bad_line)


def test_the_same_file_twice_in_a_group_is_an_error() -> None:
    twice = line("spark", "a:b:1", "b-1.jar", SHA_A) + line("spark", "c:b:1", "b-1.jar", SHA_B)
    with pytest.raises(JvmArtifactError, match="line 2: bad or repeated file name"):
        parse_lock(twice)
    other_group = line("kafka-broker", "a:b:1", "b-1.jar", SHA_A)
    assert len(parse_lock(line("spark", "a:b:1", "b-1.jar", SHA_A) + other_group)) == 2


def test_coordinates_come_from_the_repository_layout() -> None:
    plain = PurePath("org/apache/kafka/kafka_2.13/4.4.0/kafka_2.13-4.4.0.jar")
    jar = LockedJar.from_repository_path("kafka-broker", plain, SHA_A)
    assert jar.coordinates == "org.apache.kafka:kafka_2.13:4.4.0"
    assert (jar.maven_id, jar.artifact_id, jar.version) == (jar.coordinates, "kafka_2.13", "4.4.0")
    assert jar.repository_path() == plain

    classified = PurePath("io/netty/netty-tcnative/2.0.1/netty-tcnative-2.0.1-linux-x86_64.jar")
    jar = LockedJar.from_repository_path("spark", classified, SHA_A)
    assert jar.coordinates == "io.netty:netty-tcnative:2.0.1:linux-x86_64"
    assert jar.maven_id == "io.netty:netty-tcnative:2.0.1"
    assert jar.repository_path() == classified


def test_a_file_that_does_not_match_its_folder_is_refused() -> None:
    snapshot = PurePath("a/b/1.0-SNAPSHOT/b-1.0-20260101.120000-1.jar")
    with pytest.raises(JvmArtifactError, match="cannot tell the coordinates"):
        LockedJar.from_repository_path("spark", snapshot, SHA_A)


@pytest.mark.parametrize(
    ("file_name", "names"),
    [
        ("kafka-clients-3.9.2.jar", {"kafka-clients"}),
        ("zstd-jni-1.5.7-7.jar", {"zstd-jni", "zstd-jni-1.5.7"}),
        (
            "spark-sql-kafka-0-10_2.13-4.2.0.jar",
            {"spark-sql-kafka", "spark-sql-kafka-0", "spark-sql-kafka-0-10_2.13"},
        ),
        ("jackson-annotations-2.21.jar", {"jackson-annotations"}),
        ("no-version.jar", set()),
    ],
)
def test_artifact_names_of_a_file_name(file_name: str, names: set[str]) -> None:
    assert artifact_names(file_name) == names


def test_problems_say_what_is_wrong_with_which_file() -> None:
    assert str(Problem("spark", "x-1.jar", "missing", SHA_A)) == "spark/x-1.jar is missing"
    corrupt = str(Problem("spark", "x-1.jar", "corrupt", SHA_A, SHA_B))
    assert "spark/x-1.jar" in corrupt and SHA_A in corrupt and SHA_B in corrupt
    assert "not in artifacts.lock" in str(Problem("spark", "y-2.jar", "unexpected"))
