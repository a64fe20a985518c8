"""Open every Superset dashboard in headless Chromium and report what each chart showed.

Run with .venv-superset (it has Playwright). Used by the e2e test, which asserts on the
JSON report this prints, and by ``make superset-screenshot`` for the README image.
Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here.

A chart counts as checked when its ``/api/v1/chart/data`` answer arrived; the report
holds the HTTP status, the query error, the row count, the error text shown in the
chart (if any), whether something was drawn, and the big-number text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1600, "height": 1000}
CHART_TIMEOUT_S = 120
SETTLE_MS = 1500

# Facts about every chart on the page, read from the DOM in one pass.
_CHART_FACTS_JS = """() => Array.from(
  document.querySelectorAll('[data-test="chart-grid-component"]')).map(el => {
    const body = el.querySelector('.dashboard-chart') || el;  // the chart, not its header
    return {
      id: Number(el.getAttribute('data-test-chart-id')),
      name: el.getAttribute('data-test-chart-name'),
      viz_type: el.getAttribute('data-test-viz-type'),
      error: Array.from(body.querySelectorAll('.ant-alert-error, [role=alert]'))
               .map(a => a.innerText.trim()).join(' | ') || null,
      loading: body.querySelectorAll('.loading, [data-test="loading-indicator"]').length > 0,
      drawn: body.querySelectorAll('svg, canvas, table, .header-line').length > 0,
      big_number: (body.querySelector('.header-line') || {}).innerText || null,
    };
  })"""


def _slice_id(url: str) -> int | None:
    raw = parse_qs(urlsplit(url).query).get("form_data", [None])[0]
    try:
        return int(json.loads(raw)["slice_id"]) if raw else None
    except (ValueError, KeyError, TypeError):
        return None


def login(page: Any, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("[data-test=login-button]")
    page.wait_for_url("**/superset/welcome/**", timeout=60_000)


def api_result(page: Any, base: str, path: str) -> Any:
    resp = page.request.get(f"{base}{path}")
    if not resp.ok:
        raise SystemExit(f"GET {path} answered {resp.status}: {resp.text()[:200]}")
    return resp.json()["result"]


def check_dashboard(page: Any, base: str, dash: dict[str, Any], shots: Path) -> dict[str, Any]:
    """Open one dashboard, wait for every chart's data, and collect the facts."""
    expected = {
        c["id"]: c["slice_name"]
        for c in api_result(page, base, f"/api/v1/dashboard/{dash['id']}/charts")
    }
    answers: dict[int, dict[str, Any]] = {}

    def on_response(resp: Any) -> None:
        sid = _slice_id(resp.url) if "/api/v1/chart/data" in resp.url else None
        if sid is None:
            return
        try:
            body = resp.json()
        except Exception:  # a non-JSON error page is itself the finding
            body = {"message": resp.text()[:300]}
        result = (body.get("result") or [{}])[0]
        answers[sid] = {
            "status": resp.status,
            "query_error": result.get("error") or body.get("message") or body.get("errors"),
            "rowcount": result.get("rowcount"),
        }

    page.on("response", on_response)
    page.goto(f"{base}/superset/dashboard/{dash['id']}/")
    deadline = time.monotonic() + CHART_TIMEOUT_S
    while time.monotonic() < deadline and not set(expected) <= set(answers):
        # Charts below the fold load only when scrolled into view (virtualisation).
        page.evaluate("""() => document.querySelectorAll('[data-test="chart-grid-component"]')
                        .forEach(el => el.scrollIntoView())""")
        page.wait_for_timeout(500)
    page.wait_for_timeout(SETTLE_MS)
    page.evaluate("() => window.scrollTo(0, 0)")
    facts = {f["id"]: f for f in page.evaluate(_CHART_FACTS_JS)}
    page.remove_listener("response", on_response)
    shot = shots / f"{dash['slug'] or dash['id']}.png"
    page.screenshot(path=str(shot), full_page=True)
    charts = [
        {"id": cid, "name": name, **answers.get(cid, {"status": None}), **facts.get(cid, {})}
        for cid, name in sorted(expected.items())
    ]
    return {"id": dash["id"], "slug": dash["slug"], "title": dash["dashboard_title"],
            "screenshot": str(shot), "charts": charts}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--shots", type=Path, required=True, help="folder for screenshots")
    parser.add_argument("--only", default="", help="comma-separated dashboard slugs")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright

    args.shots.mkdir(parents=True, exist_ok=True)
    only = {s for s in args.only.split(",") if s}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            login(page, args.url, args.user, args.password)
            dashboards = api_result(page, args.url, "/api/v1/dashboard/?q=(page_size:100)")
            report = [
                check_dashboard(page, args.url, d, args.shots)
                for d in sorted(dashboards, key=lambda d: d["id"])
                if not only or d["slug"] in only
            ]
        finally:
            browser.close()
    json.dump({"dashboards": report}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
