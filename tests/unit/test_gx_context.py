"""The gates' GX context: batches are not fingerprinted (GX has no setting for it), and
validated frames are not kept in memory."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pandas as pd

from retail_kpi.config import Settings
from retail_kpi.quality.gx_context import build_context
from retail_kpi.quality.runner import _forget_batches


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

    _forget_batches(context)
    gc.collect()

    assert alive() is None
