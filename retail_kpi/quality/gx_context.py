"""A quiet, offline GX context whose only persistent parts are Data Docs and results.

Suites live in ``expectations/`` (reviewed like code), so the context keeps suites,
validation definitions and checkpoints in memory. Validation results are kept as JSON
under ``<lake>/_audit/gx_results/`` so the Data Docs index lists every past run, and the
site itself is written to ``<lake>/_data_docs/``.
"""

from __future__ import annotations

import logging
import os
import warnings
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

    pandas_execution_engine.HASH_THRESHOLD = 0


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
