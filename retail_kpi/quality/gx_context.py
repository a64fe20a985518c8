"""A quiet, offline GX context whose only persistent parts are Data Docs and results.

This is also the one module that touches GX internals (GX has no setting for what they
do): :func:`skip_batch_fingerprints`, :func:`narrow_column_domains` and
:func:`forget_batches`; tests/unit/test_gx_context.py fails when a GX upgrade changes
any of them.

Suites live in ``expectations/`` (reviewed like code), so the context keeps suites,
validation definitions and checkpoints in memory. Validation results are kept as JSON
under ``<lake>/_audit/gx_results/`` so the Data Docs index lists every past run, and the
site itself is written to ``<lake>/_data_docs/``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from retail_kpi.config import Settings

SITE_NAME = "retail_kpi"

#: GX logs every metric at INFO and warns about deprecations on each run; task logs
#: must show our lines, so these loggers only pass warnings and errors through.
_NOISY_LOGGERS = ("great_expectations", "great_expectations.core", "posthog", "tzlocal")


def docs_dir(s: Settings) -> Path:
    """Where the Data Docs site is written (open ``index.html`` in a browser)."""
    return s.lake_dir / "_data_docs"


def results_dir(s: Settings) -> Path:
    return s.lake_dir / "_audit" / "gx_results"


def quiet_gx() -> None:
    """Silence GX's INFO chatter, analytics and progress bars before it is imported."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
    warnings.filterwarnings("ignore", category=FutureWarning, module="great_expectations")
    warnings.filterwarnings("ignore", message=".*great_expectations.*")


def skip_batch_fingerprints() -> None:
    """Do not fingerprint in-memory batches.

    GX hashes every pandas batch under 1 GB (md5 over ``hash_pandas_object``) into a batch
    marker that only Data Docs shows: 7 s of the landing gate at 1M order lines, for a
    value nothing reads (audit rows and Data Docs identify a batch by run and suite). GX
    has no setting for it; its module threshold is the switch (checked by
    tests/unit/test_gx_context.py, so an upgrade that renames it fails there)."""
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):  # never a silent no-op
        raise RuntimeError(
            "great_expectations changed: pandas_execution_engine.HASH_THRESHOLD is gone; "
            "update retail_kpi/quality/gx_context.skip_batch_fingerprints for this version."
        )
    pandas_execution_engine.HASH_THRESHOLD = 0


#: The suite's key columns, which GX reports for unexpected rows (the runner's
#: ``unexpected_index_column_names``): a narrowed column domain keeps them.
_INDEX_COLUMNS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "gx_index_columns", default=()
)


@contextlib.contextmanager
def index_columns(keys: Sequence[str]) -> Iterator[None]:
    """Within the block, narrowed column domains keep ``keys`` beside their column."""
    token = _INDEX_COLUMNS.set(tuple(keys))
    try:
        yield
    finally:
        _INDEX_COLUMNS.reset(token)


def narrow_column_domains() -> None:
    """Hand a column metric its column (and the suite's keys), not the whole batch.

    GX's pandas column metrics drop the column's nulls from the *whole* domain frame
    (``df[df[column].notnull()]``) for every metric, and with Arrow-backed text each such
    filter copies every column's strings: 11.5 of 40.7 s in a profile of the 1M-line
    landing gate. The metric itself only reads its column, and the unexpected-row
    report reads the key columns, so the domain of a single-column metric is cut to
    those (after GX's own row condition). Column-pair, multi-column and table domains
    are left whole. GX has no setting for this; the engine method is wrapped
    (tests/unit/test_gx_context.py fails if an upgrade changes what it returns).
    """
    from great_expectations.execution_engine.pandas_execution_engine import (
        PandasExecutionEngine,
    )

    original = PandasExecutionEngine.get_domain_records
    if getattr(original, "narrowed", False):
        return

    def get_domain_records(self: Any, domain_kwargs: dict) -> Any:
        data = original(self, domain_kwargs)
        column = domain_kwargs.get("column")
        if column is None or column not in data.columns:
            return data
        keep = [column, *(k for k in _INDEX_COLUMNS.get() if k != column and k in data.columns)]
        return data if len(keep) == data.shape[1] else data[keep]

    get_domain_records.narrowed = True  # type: ignore[attr-defined]
    PandasExecutionEngine.get_domain_records = get_domain_records  # type: ignore[method-assign]


def forget_batches(context: Any) -> None:
    """Let go of the in-memory batches GX has validated.

    GX's execution engine keeps the data of every batch it loaded (``BatchManager``'s
    ``batch_data_cache``, which its ``reset_batch_cache`` does not clear) for the life of
    the context, so the frames of all suites of a gate stayed in memory: at 5M order lines
    2.3 GiB of Arrow buffers by the last landing file. The freed buffers are returned to
    the system, since the next file is read right after. (GX internals: checked by
    tests/unit/test_gx_context.py.)"""
    import pyarrow as pa

    manager = context.data_sources.get("lake").get_execution_engine().batch_manager
    manager.reset_batch_cache()
    manager.batch_data_cache.clear()
    pa.default_memory_pool().release_unused()


def build_context(s: Settings) -> Any:
    """An ephemeral GX context with a filesystem Data Docs site and results store."""
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    skip_batch_fingerprints()
    narrow_column_domains()
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    defaults.stores[defaults.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(results_dir(s)),
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir(s)),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )
    return gx.get_context(project_config=config, mode="ephemeral")
