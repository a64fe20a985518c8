"""One Python task of the DAG in its own process: ``python -m bench.harness.task TASK ...``.

Airflow runs every task in a fresh process, so the harness does the same: the process
calls exactly the function the DAG task calls (``retail_kpi.pipeline``), times the call
(the "body", without interpreter start-up and imports) and prints one JSON line::

    BENCH_RESULT {"task": ..., "ok": true, "body_s": 1.2, "result": {...}, "parts": {...}}

``parts`` splits the load task into its two calls (facts+dims, then KPI tables), and
``log`` keeps the loader's own phase line, so a slow load says where its time went.

``generate_landing`` is not a DAG task: it is the upstream source (the generator, as
``python -m simulator generate`` runs it: the files, then the done-marker), which the
bench runs in place of the DAG's ``wait_for_landing``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

MARKER = "BENCH_RESULT "
LAYERS = {
    "validate_landing": "landing",
    "validate_silver": "silver",
    "validate_kpis": "kpi",
    "validate_warehouse": "warehouse",
}
TASKS = ("generate_landing", *LAYERS, "load_warehouse")


class _Keep(logging.Handler):
    """Keeps the messages of a few loggers for the result line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage()[:2000])


def _timed(parts: dict[str, float], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` that adds its wall time to ``parts[name]`` (same arguments, same result)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0

    return wrapper


def _instrument_load(parts: dict[str, float]) -> None:
    """Time the two calls ``pipeline.load_warehouse`` makes, without changing them."""
    import retail_kpi.load as load
    import retail_kpi.load.kpi_tables as kpi_load

    load.load_date = _timed(parts, "load_date", load.load_date)
    kpi_load.load_kpis = _timed(parts, "load_kpis", kpi_load.load_kpis)


def drop_landing(day: dt.date, params: dict[str, Any]) -> dict[str, Any]:
    """The source's work: the date's landing files and done-marker, as the CLI writes them."""
    from retail_kpi.config import settings
    from simulator import DefectRates, generate_day

    s = settings()
    scale = float(params.get("defect_scale", 1.0))
    manifest = generate_day(
        day,
        s.landing_dir,
        seed=int(params.get("seed") or s.seed),
        orders=int(params.get("orders_per_day") or s.orders_per_day),
        customers=int(params.get("customers") or s.customers),
        products=int(params.get("products") or s.products),
        defects=DefectRates.scaled(scale) if scale != 1.0 else DefectRates(),
        opened_on=s.opened_on,
    )
    return {"counts": dict(manifest["counts"]), "defects": len(manifest["defects"])}


def run_task(task: str, day: dt.date, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Call the DAG task's body; returns the BENCH_RESULT document."""
    from retail_kpi import pipeline

    keep = _Keep()
    for name in ("retail_kpi.load.loader", "retail_kpi.load.kpi_tables"):
        logging.getLogger(name).addHandler(keep)
    parts: dict[str, float] = {}
    if task == "load_warehouse":
        _instrument_load(parts)
    doc: dict[str, Any] = {"task": task, "ok": True}
    t0 = time.perf_counter()
    try:
        if task == "generate_landing":
            result: Any = drop_landing(day, params)
        elif task == "load_warehouse":
            result = pipeline.load_warehouse(day, run_id=run_id)
        else:
            result = pipeline.validate_layer(LAYERS[task], day, run_id=run_id)
    except Exception as exc:  # the harness reports a failed stage instead of stopping
        result = None
        doc.update(ok=False, error=f"{type(exc).__name__}: {str(exc)[:1500]}")
    doc.update(body_s=time.perf_counter() - t0, result=result, parts=parts, log=keep.lines)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--params", default="{}", help="DAG run params as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    doc = run_task(args.task, args.date, args.run_id, json.loads(args.params))
    print(MARKER + json.dumps(doc, default=str), flush=True)
    return 0 if doc["ok"] else 1


def parse_result(text: str) -> dict[str, Any] | None:
    """The last BENCH_RESULT document in a task's output (None when it died before)."""
    found = None
    for line in text.splitlines():
        if line.startswith(MARKER):
            found = json.loads(line[len(MARKER) :])
    return found


if __name__ == "__main__":
    sys.exit(main())
