"""Keep secrets out of task logs.

Airflow masks the passwords of connections it resolves, but our tasks also read secrets
from the environment (``WAREHOUSE_URL``, the alert webhook). Registering them with
Airflow's secrets masker at the start of every task makes the task log handler replace
them with ``***`` wherever they appear, including in the output of ``spark-submit``.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from psycopg.conninfo import conninfo_to_dict

from retail_kpi.config import env, read_secrets

log = logging.getLogger(__name__)

#: Environment variables whose whole value is secret.
SECRET_VARIABLES = ("RETAIL_ALERT_WEBHOOK_URL", "BI_READER_PASSWORD")
#: Secrets read by other parts of the stack (superset/refresh.py) straight from os.environ.
EXTRA_SECRET_VARIABLES = ("SUPERSET_PASSWORD",)
MIN_SECRET_LEN = 4  # masking very short strings would mangle ordinary log text


def known_secrets() -> list[str]:
    """Secret strings configured for this process (never logged themselves)."""
    found: list[str] = []
    try:
        password = conninfo_to_dict(env("WAREHOUSE_URL")).get("password")
    except Exception:  # a malformed URL is reported by the code that connects
        password = None
    if password:
        found.append(str(password))
    found += read_secrets().values()  # the project's own PostgreSQL's generated passwords
    for name in SECRET_VARIABLES + EXTRA_SECRET_VARIABLES:
        value = env(name) if name in SECRET_VARIABLES else os.environ.get(name, "")
        if value:
            found.append(value)
            path = urlsplit(value).path if "://" in value else ""
            if len(path) > 1:  # the token part of a webhook URL
                found.append(path)
    return [s for s in found if len(s) >= MIN_SECRET_LEN]


def mask_known_secrets() -> int:
    """Register :func:`known_secrets` with Airflow's masker; returns how many.

    Under a scheduler the task's supervisor masks every log line. ``airflow dags test``
    runs tasks in-process without that step and with masking switched off, so masking is
    switched on and the masker (a ``logging.Filter``) attached to every log handler.
    """
    try:
        from airflow.sdk._shared.secrets_masker import SecretsMasker, _secrets_masker
        from airflow.sdk.log import mask_secret
    except ImportError:  # outside Airflow (CLI, tests of plain functions): nothing to mask
        return 0
    secrets = known_secrets()
    for secret in secrets:
        mask_secret(secret)
    SecretsMasker.enable_log_masking()
    _attach_to_handlers(_secrets_masker())
    return len(secrets)


def _attach_to_handlers(masker: logging.Filter) -> None:
    loggers = [logging.getLogger()]
    loggers += [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if masker not in handler.filters:
                handler.addFilter(masker)
