"""Generate one landing date (or one interval of it): every entity plus the manifest.

This is the function the CLI (the upstream simulator) calls; a whole day ends with the
landing done-marker (``_ready/dt=D.json``, :mod:`retail_kpi.landing`), written last.
Nothing here reads another date's files: prior days needed for late orders, shipments
and returns are regenerated from the seed, so any date can be (re)built alone and gives
the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from retail_kpi.landing import write_marker
from retail_kpi.schemas import ENTITIES, column_names
from simulator import activity, aftersales, fmt, inject, render
from simulator import orders as od
from simulator.catalog import products_snapshot
from simulator.defects import DefectRates
from simulator.market import fx_rates
from simulator.population import customers_snapshot
from simulator.rand import rng
from simulator.writer import write_json, write_partition

MAX_PRODUCTS = 89_999  # P9xxxx ids are reserved for orphan-key defects
INTERVAL_ENTITIES = ("orders", "order_items", "web_sessions")
WORKERS = 2  # entities rendered and written in parallel
Progress = Callable[[str], None]
Interval = tuple[dt.datetime, dt.datetime]


def _check(orders: int, customers: int, products: int, fmt_name: str) -> None:
    if fmt_name not in render.FORMATS:
        raise ValueError(f"format {fmt_name!r} is not supported; use one of {render.FORMATS}.")
    if orders < 0 or customers < 1 or not 1 <= products <= MAX_PRODUCTS:
        raise ValueError(
            f"volumes out of range (orders={orders}, customers={customers}, products={products}); "
            f"need orders >= 0, customers >= 1 and 1 <= products <= {MAX_PRODUCTS}."
        )


def _to_utc_seconds(ts: dt.datetime) -> int:
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.UTC).replace(tzinfo=None)
    return int((ts - dt.datetime(1970, 1, 1)).total_seconds())


def _fx(seed: int, day: dt.date) -> dict[str, fmt.Col]:
    rates = fx_rates(seed, day)
    n = len(rates)
    return {
        "rate_date": fmt.const(day.isoformat(), n),
        "currency": pa.array(list(rates)),
        "usd_per_unit": fmt.decimal(np.array(list(rates.values())), 6),
    }


def _hours(window: tuple[int, int] | None) -> range:
    """UTC hours of the day that overlap the interval (all 24 without one)."""
    if window is None:
        return range(24)
    return range(window[0] // 3600 % 24, (window[1] - 1) // 3600 % 24 + 1)


def _orders_and_items(
    seed: int,
    vol: od.Volume,
    day: dt.date,
    rates: DefectRates,
    window: tuple[int, int] | None,
    pool: ThreadPoolExecutor,
) -> dict[str, Callable[[], tuple[dict, list[str]]]]:
    """Jobs rendering the orders and lines landing on ``day`` (late ones appended last)."""
    hourly = list(pool.map(lambda h: od.hour_orders(seed, vol, day, h), _hours(window)))
    late = []
    for k in range(1, od.MAX_LATE_DAYS + 1):
        b = od.late_orders(seed, vol, day - dt.timedelta(days=k), rates.late_arriving)
        late.append(od.select(b, b.delay == k))
    if window is not None:
        lo, hi = window
        hourly = [od.select(b, (b.ts >= lo) & (b.ts < hi)) for b in hourly]
        late = [
            od.select(b, (b.ts + b.delay * 86_400 >= lo) & (b.ts + b.delay * 86_400 < hi))
            for b in late
        ]
    both = od.concat([*hourly, *late], day)  # one copy: on-time hours, then late orders
    n_on_time = sum(len(b.ts) for b in hourly)
    late_rows = np.arange(n_on_time, len(both.ts))
    late_dates = [str(d) for d in fmt.dates(both.ts[late_rows] // 86_400).to_pylist()]
    line_late = np.flatnonzero(both.line_order >= n_on_time)
    line_dates = [late_dates[i - n_on_time] for i in both.line_order[line_late].tolist()]
    return {
        "orders": lambda: (od.render_orders(both), late_dates),
        "order_items": lambda: (
            od.render_items(both, vol.products, od.order_ids(both)),
            line_dates,
        ),
    }


def _sessions(seed: int, vol: od.Volume, day: dt.date, window: tuple[int, int] | None) -> dict:
    parts = [
        activity.hour_sessions(seed, vol.orders, vol.customers, day, h) for h in _hours(window)
    ]
    s = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if window is not None:
        keep = (s["ts"] >= window[0]) & (s["ts"] < window[1])
        s = {k: v[keep] for k, v in s.items()}
    return activity.render_sessions(s, day)


@dataclass(frozen=True)
class _Run:
    """One call's settings, shared by the entity jobs."""

    day: dt.date
    out_root: Path
    seed: int
    fmt: str
    rates: DefectRates
    window: tuple[int, int] | None
    suffix: str  # "" for a day, "interval=HHMM" for an interval

    def emit(
        self, entity: str, job: Callable[[], tuple[dict, list[str]]]
    ) -> tuple[int, list[dict]]:
        """Render, inject defects and write one entity; returns (rows, manifest entries)."""
        columns, late_dates = job()
        assert list(columns) == column_names(entity), entity
        chunk = 0 if self.window is None else 1 + self.window[0] % 86_400 // 60
        r = rng(self.seed, self.day, f"defects:{entity}", chunk)
        built = inject.build(
            entity, columns, fmt_name=self.fmt, rates=self.rates, r=r, late_dates=late_dates
        )
        write_partition(self.folder(entity), {self.file_name(entity): built.body.chunks()})
        return built.body.count(), built.entries

    def file_name(self, entity: str) -> str:
        return f"{entity}.{self.fmt}"

    def folder(self, entity: str) -> Path:
        base = Path(self.out_root) / entity / f"dt={self.day.isoformat()}"
        return base / self.suffix if self.suffix else base


def generate_day(
    day: dt.date,
    out_root: Path,
    *,
    seed: int = 42,
    orders: int = 2000,
    customers: int = 5000,
    products: int = 200,
    defects: DefectRates | None = None,
    fmt: str = "csv",
    interval: Interval | None = None,
    progress: Progress | None = None,
    only: tuple[str, ...] | None = None,
    opened_on: dt.date | None = None,
) -> dict:
    """Write every landing entity of ``day`` under ``out_root`` and return the manifest.

    With ``interval=(start, end)`` only orders, order lines and sessions whose timestamp
    falls in [start, end) are written, under ``dt=<day>/interval=<HHMM>/``.
    ``only`` restricts the entities written (the benchmark times orders + lines alone).
    ``opened_on``: shipments and returns never refer to orders before this date.
    A whole day (no ``interval``) ends with the done-marker listing the files written,
    replaced on a rerun; an interval writes none (the day is not complete).
    """
    rates = defects if defects is not None else DefectRates()
    rates.validate()
    _check(orders, customers, products, fmt)
    vol = od.Volume(orders, customers, products)
    window = None
    if interval is not None:
        window = (_to_utc_seconds(interval[0]), _to_utc_seconds(interval[1]))
        day_start = _to_utc_seconds(dt.datetime.combine(day, dt.time()))
        if not day_start <= window[0] < window[1] <= day_start + 86_400:
            raise ValueError(f"interval {interval[0]}..{interval[1]} must lie within {day} (UTC).")
    suffix = ""
    if window is not None:  # folder named by the UTC start, whatever tz the caller used
        suffix = f"interval={window[0] % 86_400 // 3600:02d}{window[0] % 3600 // 60:02d}"
    run = _Run(day, out_root, seed, fmt, rates, window, suffix)
    counts: dict[str, int] = {}
    entries: list[dict] = []
    with ThreadPoolExecutor(WORKERS) as pool:  # Arrow and numpy release the GIL
        jobs = _jobs(seed, vol, day, rates, window, pool, opened_on)
        futures = {
            e: pool.submit(run.emit, e, job) for e, job in jobs.items() if not only or e in only
        }
        for entity, future in futures.items():
            counts[entity], found = future.result()
            entries += found
            if progress:
                progress(
                    f"{day} {suffix or 'day'} {entity}: {counts[entity]} rows, {len(found)} defects"
                )
    manifest = {
        "date": day.isoformat(),
        "seed": seed,
        "format": fmt,
        "interval": None if interval is None else [t.isoformat() for t in interval],
        "volume": {"orders": orders, "customers": customers, "products": products},
        "opened_on": None if opened_on is None else opened_on.isoformat(),
        "rates": asdict(rates),
        "counts": counts,
        "defects": entries,
    }
    write_json(Path(run.folder("_manifest")) / "manifest.json", manifest)
    if window is None:
        _mark_ready(run, list(counts))
    return manifest


def _mark_ready(run: _Run, entities: list[str]) -> None:
    """The done-marker, after every file: their paths relative to the root and sizes."""
    root = Path(run.out_root)
    files = {}
    for entity in entities:
        path = run.folder(entity) / run.file_name(entity)
        files[path.relative_to(root).as_posix()] = path.stat().st_size
    write_marker(root, run.day, files)


def _jobs(
    seed: int,
    vol: od.Volume,
    day: dt.date,
    rates: DefectRates,
    window: tuple[int, int] | None,
    pool: ThreadPoolExecutor,
    opened_on: dt.date | None = None,
) -> dict[str, Callable[[], tuple[dict, list[str]]]]:
    """entity -> job returning (columns in contract order, dates of trailing late rows)."""
    jobs = _orders_and_items(seed, vol, day, rates, window, pool)
    jobs |= {
        "web_sessions": lambda: (_sessions(seed, vol, day, window), []),
    }
    if window is not None:
        return jobs
    jobs |= {
        "customers": lambda: (customers_snapshot(seed, vol.customers, day), []),
        "products": lambda: (products_snapshot(seed, vol.products, day), []),
        "shipments": lambda: (aftersales.shipments(seed, vol, day, opened_on), []),
        "returns": lambda: (aftersales.returns(seed, vol, day, opened_on), []),
        "inventory": lambda: (activity.inventory(seed, vol.orders, vol.products, day), []),
        "fx_rates": lambda: (_fx(seed, day), []),
    }
    return {e: jobs[e] for e in ENTITIES}
