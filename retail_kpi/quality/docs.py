"""Data Docs per run, readable offline.

GX renders one HTML page per validation under ``<lake>/_data_docs/validations/``. Its
pages pull Bootstrap, jQuery, bootstrap-table and Font Awesome from CDNs, and its index
page draws its table with that JavaScript, so it is blank without network. We therefore:

* strip every ``https://`` stylesheet/script/image from the pages GX wrote this run and
  inline a small stylesheet instead (all content is plain HTML, so it stays readable);
* skip GX's index and write our own static ``index.html`` from ``runs.jsonl``, a ledger
  with one line per suite validation (newest first on the page).
"""

from __future__ import annotations

import fcntl
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from retail_kpi.config import Settings
from retail_kpi.quality.gx_context import SITE_NAME, docs_dir
from retail_kpi.quality.policy import GateResult

LEDGER = "runs.jsonl"
INDEX_ROWS = 500  # the page lists the newest validations; the ledger keeps them all

_REMOTE = re.compile(
    r"<(?:link|script)\b[^>]*(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?"
    r"|<img\b[^>]*src=\"https?://[^\"]*\"[^>]*>",
    re.IGNORECASE,
)
# GX links each page to its suite page, which we do not build (see build_pages): send the
# link to our index instead of a missing file.
_SUITE_LINK = re.compile(r'href="((?:\.\./)+)expectations/[^"]+\.html"')
_REMOTE_CSS_URL = re.compile(r"url\(['\"]?https?://[^)]*\)", re.IGNORECASE)
OFFLINE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;
color:#212529;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #dee2e6;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}.ok{color:#1b7f3b}.fail{color:#b02a37;font-weight:600}
.warn{color:#a15c00}code{background:#f6f8fa;padding:0 .2rem}
.navbar,footer,button,.btn{display:none!important}
.collapse{display:block!important}a{color:#0b5ed7}
.fas{font-style:normal}.fas::before{content:"\\2022"}
.fas.text-success::before{content:"\\2714";color:#1b7f3b}
.fas.text-danger::before{content:"\\2718";color:#b02a37}
.fas.text-warning::before{content:"\\26A0";color:#a15c00}
"""


def _offline(page: Path) -> None:
    """Remove CDN references from one page and inline our stylesheet."""
    text = page.read_text(encoding="utf-8")
    text = _REMOTE_CSS_URL.sub("none", _REMOTE.sub("", text))
    text = _SUITE_LINK.sub(r'href="\1index.html"', text)
    if "data-offline" not in text:
        text = text.replace("</head>", f"<style data-offline>{OFFLINE_CSS}</style></head>", 1)
    page.write_text(text, encoding="utf-8")


def _page_path(context: Any, identifier: Any) -> Path | None:
    urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name=SITE_NAME)
    for entry in urls:
        url = entry.get("site_url")
        if url:
            return Path(unquote(urlparse(url).path))
    return None


def build_pages(context: Any, identifiers: list[tuple[str, Any]]) -> dict[str, str]:
    """Render this run's validation and suite pages; return suite -> page path."""
    # Validation pages only: they show every expectation with its substituted parameters,
    # while GX's suite pages fail to render parameterised kwargs (e.g. a column list).
    resources: list[Any] = [ident for _, ident in identifiers]
    context.build_data_docs(
        site_names=[SITE_NAME], resource_identifiers=resources, build_index=False
    )
    pages: dict[str, str] = {}
    for suite, ident in identifiers:
        path = _page_path(context, ident)
        if path and path.is_file():
            _offline(path)
            pages[suite] = str(path)
    return pages


def record_run(s: Settings, result: GateResult, validated_at: str) -> Path:
    """Append this gate's suites to the ledger and rewrite the offline index page."""
    root = docs_dir(s)
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for suite in sorted({o.suite for o in result.outcomes}):
        mine = [o for o in result.outcomes if o.suite == suite]
        page = result.pages.get(suite)
        lines.append(
            {
                "validated_at": validated_at,
                "layer": result.layer,
                "business_date": result.day.isoformat(),
                "run_id": result.run_id,
                "suite": suite,
                "checks": len(mine),
                "blocking_failures": sum(1 for o in mine if o.is_blocking and not o.success),
                "warnings": sum(1 for o in mine if not o.is_blocking and not o.success),
                "page": str(Path(page).relative_to(root)) if page else None,
            }
        )
    with (root / LEDGER).open("a+", encoding="utf-8") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)  # parallel gates append whole lines
        ledger.write("".join(json.dumps(line) + "\n" for line in lines))
        ledger.flush()
        ledger.seek(0)
        entries = [json.loads(x) for x in ledger.read().splitlines() if x.strip()]
        index = root / "index.html"
        index.write_text(render_index(entries), encoding="utf-8")
    return index


def _row(e: dict[str, Any]) -> str:
    if e["blocking_failures"]:
        status = f'<span class="fail">FAILED ({e["blocking_failures"]} blocking)</span>'
    elif e["warnings"]:
        status = f'<span class="warn">passed, {e["warnings"]} warning(s)</span>'
    else:
        status = '<span class="ok">passed</span>'
    suite = html.escape(e["suite"])
    link = f'<a href="{html.escape(e["page"])}">{suite}</a>' if e.get("page") else suite
    cells = [
        html.escape(e["validated_at"]),
        html.escape(e["business_date"]),
        html.escape(e["layer"]),
        link,
        status,
        str(e["checks"]),
        f"<code>{html.escape(e['run_id'])}</code>",
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render_index(entries: list[dict[str, Any]]) -> str:
    """A static page, no JavaScript: newest validations first."""
    newest = sorted(entries, key=lambda e: e["validated_at"], reverse=True)[:INDEX_ROWS]
    head = "".join(
        f"<th>{h}</th>"
        for h in ("validated at (UTC)", "date", "layer", "suite", "status", "checks", "run id")
    )
    rows = "\n".join(_row(e) for e in newest)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        "<title>Retail KPI data quality</title>"
        f"<style>{OFFLINE_CSS}</style></head><body>"
        "<h1>Retail KPI data quality</h1>"
        f"<p>{len(entries)} suite validations recorded; newest {len(newest)} shown. "
        "Each suite links to its Great Expectations page (expectations, observed values, "
        "sample of unexpected rows). Results are also in <code>audit.validation_result"
        "</code>.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>"
        "</body></html>\n"
    )
