"""Invalidate Superset's cached query results after a warehouse load (stdlib only).

Superset caches chart data for a day (superset_config.py), so after the nightly load a
dashboard would show yesterday's numbers until the cache expires. The Airflow task
``retail_bi_refresh`` calls :func:`refresh_cache` (through
``retail_kpi.pipeline.refresh_bi``) when a date is published: it logs in to Superset's
REST API and invalidates the cache of every dataset of the warehouse database, so the
next dashboard view queries PostgreSQL again. Invalidating all of them is deliberate:
a late row changes growth and month-to-date KPIs of other dates, and the cache is small.

Settings (environment): SUPERSET_URL (default http://127.0.0.1:8088), SUPERSET_USER
(default admin), SUPERSET_PASSWORD (default: the password ``make superset`` generated in
$SUPERSET_HOME/admin_password). When Superset is not running there is nothing to
refresh, so that is reported, not raised: BI must never fail the pipeline.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

log = logging.getLogger("retail_kpi.superset_refresh")

REPO_ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "Retail KPI warehouse"
DEFAULT_URL = "http://127.0.0.1:8088"
TIMEOUT_S = 30


class SupersetClient:
    """Just enough of Superset's REST API: JWT login, CSRF token, JSON GET/POST."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.headers: dict[str, str] = {}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = dict(self.headers)
        data = None
        if body is not None:  # a GET saying JSON but sending none is a 400 for Superset
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data, headers, method=method)
        with self.opener.open(req, timeout=TIMEOUT_S) as resp:
            return json.loads(resp.read() or b"{}")

    def login(self, user: str, password: str) -> None:
        creds = {"username": user, "password": password, "provider": "db", "refresh": False}
        token = self._call("POST", "/api/v1/security/login", creds)["access_token"]
        self.headers["Authorization"] = f"Bearer {token}"
        csrf = self._call("GET", "/api/v1/security/csrf_token/")["result"]
        self.headers.update({"X-CSRFToken": csrf, "Referer": self.base})

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, body)


def _password() -> str | None:
    if os.environ.get("SUPERSET_PASSWORD"):
        return os.environ["SUPERSET_PASSWORD"]
    home = Path(os.environ.get("SUPERSET_HOME") or REPO_ROOT / ".superset")
    path = home / "admin_password"
    return path.read_text().strip() if path.exists() else None


def warehouse_dataset_ids(client: SupersetClient, database: str = DATABASE_NAME) -> list[int]:
    """Ids of every dataset of the warehouse database (all pages)."""
    ids: list[int] = []
    page = 0
    while True:
        query = urllib.parse.quote(
            f"(page:{page},page_size:100,columns:!(id,database.database_name))"
        )
        result = client.get(f"/api/v1/dataset/?q={query}")["result"]
        ids += [d["id"] for d in result if d["database"]["database_name"] == database]
        if len(result) < 100:
            return ids
        page += 1


def refresh_cache(dates: list[str], base_url: str | None = None) -> dict[str, Any]:
    """Invalidate cached chart data of the warehouse datasets; ``dates`` are for the log."""
    base = base_url or os.environ.get("SUPERSET_URL") or DEFAULT_URL
    password = _password()
    if password is None:
        log.info("Superset refresh skipped: no SUPERSET_PASSWORD and no admin_password file")
        return {"invalidated": False, "reason": "no credentials"}
    client = SupersetClient(base)
    try:
        client.login(os.environ.get("SUPERSET_USER") or "admin", password)
        ids = warehouse_dataset_ids(client)
        if ids:
            client.post(
                "/api/v1/cachekey/invalidate", {"datasource_uids": [f"{i}__table" for i in ids]}
            )
    except urllib.error.HTTPError as exc:
        log.warning("Superset refresh failed at %s: HTTP %s %s", base, exc.code, exc.reason)
        return {"invalidated": False, "reason": f"HTTP {exc.code}"}
    except (urllib.error.URLError, OSError) as exc:
        log.info("Superset refresh skipped: %s is not reachable (%s)", base, exc)
        return {"invalidated": False, "reason": "unreachable"}
    log.info("Superset cache invalidated for %d datasets after dates %s", len(ids), dates)
    return {"invalidated": True, "datasets": len(ids), "dates": dates}
