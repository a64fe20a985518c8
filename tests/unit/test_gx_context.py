"""The gates' GX context: batches are not fingerprinted (GX has no setting for it),
validated frames are not kept in memory, and column metrics see a narrowed frame."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pandas as pd

from retail_kpi.config import Settings
from retail_kpi.quality.gx_context import build_context, forget_batches, index_columns


def _validated(tmp_path: Path, frame: pd.DataFrame) -> tuple[Any, Any]:
    """(context, batch) after a not-null check of column ``x`` of ``frame``, which passes."""
    import great_expectations as gx

    s = Settings("postgresql://unused", tmp_path, tmp_path / "landing", tmp_path / "lake",
                 "local[1]", 42, 1, 1, 1)  # fmt: skip
    context = build_context(s)
    asset = context.data_sources.add_pandas("lake").add_dataframe_asset(name="frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    assert batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="x")).success
    return context, batch


def test_pandas_batches_are_not_fingerprinted(tmp_path: Path) -> None:
    _, batch = _validated(tmp_path, pd.DataFrame({"x": [1, 2, 3]}))

    # GX adds this marker to every pandas batch under its size threshold unless the
    # switch in skip_batch_fingerprints still works with the pinned GX version.
    assert "pandas_data_fingerprint" not in batch.batch_markers
    assert "ge_load_time" in batch.batch_markers  # the markers themselves are there


def test_validated_frames_are_not_kept_by_the_context(tmp_path: Path) -> None:
    """GX keeps every loaded batch's data for the context's life; the runner drops it
    after each suite, so a gate holds one landing file in memory at a time."""
    frame = pd.DataFrame({"x": [1, 2, 3]})
    alive = weakref.ref(frame)
    context, batch = _validated(tmp_path, frame)
    del batch, frame
    gc.collect()
    assert alive() is not None  # GX's engine still holds it

    forget_batches(context)
    gc.collect()

    assert alive() is None


def test_column_metrics_get_their_column_and_the_keys_only(tmp_path: Path) -> None:
    """The narrowed domain still reports unexpected rows by key, honours row conditions,
    and leaves table domains whole (GX's engine method the gates wrap)."""
    import great_expectations as gx

    frame = pd.DataFrame(
        {"x": [1, 3, 5, 2], "key": ["a", "b", "c", "d"], "other": ["p", "q", "r", "s"]}
    )
    _, batch = _validated(tmp_path, frame)
    engine = batch.data.execution_engine
    with index_columns(["key"]):
        result = batch.validate(
            gx.expectations.ExpectColumnValuesToBeBetween(column="x", max_value=3),
            result_format={"result_format": "SUMMARY", "unexpected_index_column_names": ["key"]},
        ).result
        assert list(engine.get_domain_records({"column": "x"}).columns) == ["x", "key"]
        conditioned = engine.get_domain_records(
            {"column": "x", "row_condition": 'key != "a"', "condition_parser": "pandas"}
        )
        assert list(conditioned.index) == [1, 2, 3]
        assert list(engine.get_domain_records({}).columns) == ["x", "key", "other"]
    assert list(engine.get_domain_records({"column": "x"}).columns) == ["x"]  # no keys set
    # by hand: 5 is the one value above 3, on key "c"
    assert result["unexpected_count"] == 1 and result["element_count"] == 4
    assert result["partial_unexpected_index_list"] == [{"x": 5, "key": "c"}]
