"""Write each bundled chart's query context into superset/bundle, as Explore saves it.

Superset's chart data API (``/api/v1/chart/<id>/data/``), alerts & reports, thumbnails
and cache warm-up run a chart from its saved *query context*: the queries the browser
builds from the chart's parameters. Only the frontend can build them (each chart type's
``buildQuery`` is JavaScript), so this script opens every chart of a running Superset in
Explore, headless, and keeps the body of the data request the page sends. It stores that
body with ``form_data`` equal to the chart's ``params`` in the bundle, which is what
``tests/unit/test_superset_bundle.py`` checks to catch a chart edited without a rerun.

Run it after changing a chart's params, against a Superset that imported the bundle
(``make superset`` then ``make superset-query-contexts``). The warehouse need not answer:
only the request is kept, not its result.

    .venv-superset/bin/python superset/query_contexts.py --url URL --password PW
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from browse import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, api_result, login

BUNDLE_CHARTS = Path(__file__).resolve().parent / "bundle" / "charts"
REQUEST_TIMEOUT_S = 60


def query_context(request: dict[str, Any], params: dict[str, Any]) -> str:
    """The stored query context: the page's request with the bundle's params as form_data.

    Only the queries come from the browser; ``form_data`` is the chart's own params, so a
    later edit of the params without a rerun shows as a mismatch. Keys naming objects of
    the capturing Superset are dropped, and the datasource is the one ``params`` names
    (the importer rewrites both to the importing Superset's dataset id).
    """
    queries = request["queries"]
    for query in queries:
        query.get("url_params", {}).pop("slice_id", None)
        if not query.get("url_params"):
            query.pop("url_params", None)
    dataset_id, dataset_type = params["datasource"].split("__")
    context = {
        "datasource": {"id": int(dataset_id), "type": dataset_type},
        "force": False,
        "form_data": params,
        "queries": queries,
        "result_format": request.get("result_format", "json"),
        "result_type": request.get("result_type", "full"),
    }
    return json.dumps(context, sort_keys=True)


def capture(page: Any, base: str, chart_id: int) -> dict[str, Any]:
    """The JSON body of the first chart data request Explore sends for ``chart_id``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def is_data_request(request: Any) -> bool:
        return request.method == "POST" and "/api/v1/chart/data" in request.url

    try:
        with page.expect_request(is_data_request, timeout=REQUEST_TIMEOUT_S * 1000) as sent:
            page.goto(f"{base}/explore/?slice_id={chart_id}")
    except PlaywrightTimeout:
        raise SystemExit(
            f"Explore sent no chart data request for chart {chart_id} in time"
        ) from None
    return dict(sent.value.post_data_json)


def bundle_files() -> dict[str, Path]:
    """Chart uuid -> its bundle file."""
    out = {}
    for path in sorted(BUNDLE_CHARTS.glob("*.yaml")):
        out[yaml.safe_load(path.read_text())["uuid"]] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing; install it with `make chromium`.")
    from playwright.sync_api import sync_playwright

    files = bundle_files()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            login(page, args.url, args.user, args.password)
            charts = api_result(
                page, args.url, "/api/v1/chart/?q=(columns:!(id,uuid,slice_name),page_size:100)"
            )
            missing = set(files) - {c["uuid"] for c in charts}
            if missing:
                names = sorted(files[u].name for u in missing)
                raise SystemExit(f"not imported in {args.url}: {names}; run `make superset-import`")
            for n, chart in enumerate(sorted(charts, key=lambda c: c["id"]), start=1):
                path = files.get(chart["uuid"])
                if path is None:
                    continue  # a chart made in this Superset, not one of the bundle's
                doc = yaml.safe_load(path.read_text())
                doc["query_context"] = query_context(
                    capture(page, args.url, chart["id"]), doc["params"]
                )
                path.write_text(yaml.safe_dump(doc, sort_keys=True))
                print(f"[{n}/{len(charts)}] {path.name}", file=sys.stderr, flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
