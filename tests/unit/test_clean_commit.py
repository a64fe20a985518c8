"""A clean run is all or nothing: a failed run leaves the lake as it was, and a run stopped
at any step of its commit is finished by the next run of the date (spark_jobs/lake_commit.py).

The lake is compared file by file (path -> bytes) with copies taken by this test, so "as it
was" and "as an uninterrupted commit leaves it" are checked byte for byte. Real clean job on
the hand-written day of tests/unit/clean_support.py, real Hadoop file system calls.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs import clean_ops, lake_commit, pipeline
from spark_jobs.pipeline import run_clean
from tests.unit.clean_support import DAY, write_hand_day

#: Silver leaves a real lake can hold besides this run's: another ingest date (never
#: touched) and a business date an earlier run of DAY produced but this one does not.
OTHER_INGEST = "silver/orders/dt=2026-03-09/ingest_dt=2026-03-09"
STALE = f"silver/orders/dt=2026-01-01/ingest_dt={DAY}"


class Stop(Exception):
    """Stands for the process being killed at that point (nothing after it runs)."""


def snapshot(lake: Path) -> dict[str, bytes]:
    """Every file of the live lake (staging excluded), relative path -> content."""
    return {
        str(p.relative_to(lake)): p.read_bytes()
        for p in sorted(lake.rglob("*"))
        if p.is_file() and not str(p.relative_to(lake)).startswith("_staging")
    }


def restore(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)


@pytest.fixture(scope="module")
def states(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """old: the lake after run-1 plus the two extra leaves; staged: run-2's staging,
    complete but not committed; work: the lake the tests play on."""
    root = tmp_path_factory.mktemp("clean_commit")
    write_hand_day(root / "landing")
    lake = root / "work"
    run_clean(spark, DAY, "run-1", str(root / "landing"), str(lake))
    leaf = next((lake / "silver/orders").glob(f"dt=*/ingest_dt={DAY}"))
    for extra in (OTHER_INGEST, STALE):
        shutil.copytree(leaf, lake / extra)
    shutil.copytree(lake, root / "old")

    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline.lake_commit, "commit", lambda *a, **k: 0)  # stage only
    try:
        run_clean(spark, DAY, "run-2", str(root / "landing"), str(lake))
    finally:
        mp.undo()
    stage = Path(lake_commit.staging_dir(str(lake), DAY))
    shutil.copytree(stage, root / "staged")
    assert snapshot(lake) == snapshot(root / "old")  # staging alone changes nothing live
    return {
        "old": root / "old",
        "staged": root / "staged",
        "work": lake,
        "landing": root / "landing",
    }


def stage_again(states: dict[str, Path]) -> None:
    restore(states["old"], states["work"])
    restore(states["staged"], Path(lake_commit.staging_dir(str(states["work"]), DAY)))


@pytest.fixture(scope="module")
def committed(states: dict[str, Path]) -> dict[str, bytes]:
    """The live lake after run-2's commit, uninterrupted."""
    stage_again(states)
    lake_commit.commit(str(states["work"]), DAY)
    return snapshot(states["work"])


def test_an_uninterrupted_commit_replaces_only_this_dates_outputs(
    committed: dict[str, bytes], states: dict[str, Path]
) -> None:
    old = snapshot(states["old"])
    assert not Path(lake_commit.staging_dir(str(states["work"]), DAY)).exists()
    assert not any(p.startswith(STALE) for p in committed)  # a business date no longer produced
    other = {p: b for p, b in old.items() if p.startswith(OTHER_INGEST)}
    assert other and all(committed[p] == b for p, b in other.items())  # other ingest dates kept
    # run-2 is a different run id: every date folder it writes differs from run-1's
    for folder in (f"bronze/orders/dt={DAY}", f"quarantine/orders/dt={DAY}", "_audit/clean"):
        assert {p for p in committed if p.startswith(folder)}
        assert {p: b for p, b in committed.items() if p.startswith(folder)} != {
            p: b for p, b in old.items() if p.startswith(folder)
        }
    assert b'"run_id": "run-2"' in committed[f"_audit/clean/dt={DAY}/reconciliation.json"]


def test_stopped_at_every_step_of_the_commit_the_next_run_finishes_it(
    states: dict[str, Path], committed: dict[str, bytes]
) -> None:
    steps = []
    stage_again(states)
    lake_commit.commit(str(states["work"]), DAY, step=lambda: steps.append(1))
    assert len(steps) > 20  # the marker, ~3 folders per entity and the stale leaf

    for stop_at in range(len(steps)):
        stage_again(states)
        seen = []

        def step(stop_at: int = stop_at, seen: list[int] = seen) -> None:
            seen.append(1)
            if len(seen) > stop_at:
                raise Stop

        with pytest.raises(Stop):
            lake_commit.commit(str(states["work"]), DAY, step=step)
        assert lake_commit.recover(str(states["work"]), DAY) == "finished"
        assert snapshot(states["work"]) == committed, f"stopped after step {stop_at}"


def test_stopped_before_the_marker_the_next_run_discards_the_staging(
    states: dict[str, Path],
) -> None:
    stage_again(states)
    assert lake_commit.recover(str(states["work"]), DAY) == "discarded"
    assert snapshot(states["work"]) == snapshot(states["old"])
    assert not Path(lake_commit.staging_dir(str(states["work"]), DAY)).exists()
    assert lake_commit.recover(str(states["work"]), DAY) is None


def test_a_run_failing_mid_clean_leaves_the_previous_state_and_the_next_run_succeeds(
    spark: SparkSession, states: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    restore(states["old"], states["work"])
    before = snapshot(states["work"])
    first = next(iter(clean_ops.CLEANERS))  # after orders and order lines were cleaned

    def broken(*args: object) -> None:
        raise RuntimeError(f"{first} cleaner failed")

    monkeypatch.setitem(clean_ops.CLEANERS, first, broken)
    with pytest.raises(RuntimeError, match="cleaner failed"):
        run_clean(spark, DAY, "run-3", str(states["landing"]), str(states["work"]))
    assert snapshot(states["work"]) == before  # bronze, silver, quarantine: all still run-1's
    assert Path(lake_commit.staging_dir(str(states["work"]), DAY)).exists()

    monkeypatch.undo()
    doc = run_clean(spark, DAY, "run-4", str(states["landing"]), str(states["work"]))
    assert doc["balanced"] and doc["run_id"] == "run-4"
    assert not Path(lake_commit.staging_dir(str(states["work"]), DAY)).exists()
    after = snapshot(states["work"])
    assert not any(p.startswith(STALE) for p in after)
    quarantine = spark.read.parquet(str(states["work"] / f"quarantine/orders/dt={DAY}"))
    assert {r.run_id for r in quarantine.select("run_id").distinct().collect()} == {"run-4"}
