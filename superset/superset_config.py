"""Superset configuration for the retail KPI warehouse (loaded via SUPERSET_CONFIG_PATH).

Every secret comes from the environment; nothing secret is written here. Superset
refuses to start with a missing, default or short SECRET_KEY because that key signs
sessions and encrypts the stored warehouse password. ``superset/manage.py`` generates
one per install under ``$SUPERSET_HOME`` and exports it, so ``make superset`` just works.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

#: Values that must never sign sessions: Superset's own placeholders and common stand-ins.
_KNOWN_DEFAULT_KEYS = frozenset(
    {
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",
        "thisISaSECRET_1234",
        "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",
        "changeme",
        "secret",
    }
)
_MIN_SECRET_KEY_LENGTH = 32


def _secret_key() -> str:
    key = os.environ.get("SUPERSET_SECRET_KEY", "")
    if not key or key in _KNOWN_DEFAULT_KEYS or len(key) < _MIN_SECRET_KEY_LENGTH:
        raise SystemExit(
            "SUPERSET_SECRET_KEY is missing, a known default or shorter than "
            f"{_MIN_SECRET_KEY_LENGTH} characters; set it to a random value "
            '(e.g. `python3 -c "import secrets; print(secrets.token_urlsafe(48))"`).'
        )
    return key


SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or Path.cwd() / ".superset").resolve()

SECRET_KEY = _secret_key()

# Superset's own metadata (users, dashboards, charts). manage.py points
# SUPERSET_METADATA_URL at the `superset` login's database on the project's own PostgreSQL;
# SQLite under SUPERSET_HOME when it is unset (a bare `superset` command).
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URL") or (
    f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"
)

# Query results are cached until the next load invalidates them (the DAG calls
# superset/refresh.py after each load); the day-long timeout is only a backstop.
# Both caches share ONE store: /api/v1/cachekey/invalidate deletes keys from the object
# cache (CACHE_CONFIG) although chart data lives in DATA_CACHE_CONFIG, so with separate
# stores the invalidation would silently miss (Superset 6.1). Cache keys are recorded
# in the metadata DB so that per-dataset invalidation can find them.
CACHE_DEFAULT_TIMEOUT = int(timedelta(days=1).total_seconds())
CACHE_CONFIG = {
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": str(SUPERSET_HOME / "cache"),
    "CACHE_DEFAULT_TIMEOUT": CACHE_DEFAULT_TIMEOUT,
    "CACHE_KEY_PREFIX": "superset_",
}
DATA_CACHE_CONFIG = CACHE_CONFIG
STORE_CACHE_KEYS_IN_METADATA_DB = True

# Drill to detail (to the order lines) and drill by are on by default in 6.x; pinned
# here because the dashboards rely on them.
FEATURE_FLAGS = {"DRILL_TO_DETAIL": True, "DRILL_BY": True}

# Served on 127.0.0.1 by default; behind a TLS proxy set SUPERSET_BEHIND_PROXY=1.
ENABLE_PROXY_FIX = os.environ.get("SUPERSET_BEHIND_PROXY") == "1"
SESSION_COOKIE_SECURE = ENABLE_PROXY_FIX
CONTENT_SECURITY_POLICY_WARNING = False
WTF_CSRF_ENABLED = True

# Row limits small enough that one careless chart cannot exhaust a 2-core machine.
ROW_LIMIT = 50_000
SQL_MAX_ROW = 100_000
SUPERSET_WEBSERVER_TIMEOUT = 120
