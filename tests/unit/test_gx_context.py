"""The gates' GX context: batches are not fingerprinted (GX has no setting for it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from retail_kpi.config import Settings
from retail_kpi.quality.gx_context import build_context


def test_pandas_batches_are_not_fingerprinted(tmp_path: Path) -> None:
    import great_expectations as gx

    s = Settings("postgresql://unused", tmp_path, tmp_path / "landing", tmp_path / "lake",
                 "local[1]", 42, 1, 1, 1)  # fmt: skip
    context = build_context(s)
    asset = context.data_sources.add_pandas("lake").add_dataframe_asset(name="frame")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": pd.DataFrame({"x": [1, 2, 3]})}
    )
    result = batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="x"))

    assert result.success
    # GX adds this marker to every pandas batch under its size threshold unless the
    # switch in skip_batch_fingerprints still works with the pinned GX version.
    assert "pandas_data_fingerprint" not in batch.batch_markers
    assert "ge_load_time" in batch.batch_markers  # the markers themselves are there


def test_validated_frames_are_not_kept_by_the_context(tmp_path: Path) -> None:
    """GX keeps every loaded batch's data for the context's life; the runner drops it
    after each suite, so a gate holds one landing file in memory at a time."""
    import gc
    import weakref

    import great_expectations as gx

    from retail_kpi.quality.runner import _forget_batches

    s = Settings("postgresql://unused", tmp_path, tmp_path / "landing", tmp_path / "lake",
                 "local[1]", 42, 1, 1, 1)  # fmt: skip
    context = build_context(s)
    asset = context.data_sources.add_pandas("lake").add_dataframe_asset(name="frame")
    frame = pd.DataFrame({"x": [1, 2, 3]})
    alive = weakref.ref(frame)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    assert batch.validate(gx.expectations.ExpectColumnValuesToNotBeNull(column="x")).success
    del batch, frame
    gc.collect()
    assert alive() is not None  # GX's engine still holds it

    _forget_batches(context)
    gc.collect()

    assert alive() is None
