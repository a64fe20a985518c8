"""``python -m retail_kpi demo``: both ingest paths end to end, then the KPIs.

This is what ``make demo`` runs after installing the venv. By default it loads the days up to
yesterday: 90 days of history as one bulk drop, three days from daily files, then yesterday
from Kafka. First the file path: the upstream simulator (``python -m simulator generate``)
drops the history (``--bulk``: one landing date holding every day, docs/DATA.md) and each
date's landing files with their done-marker, as a real source would, and ``retail_daily``
(which only waits for them) runs for the drop's date and each date. Then the live Kafka
path for yesterday: the simulator publishes the day to the topics in two halves (``python
-m simulator produce --window``), the afternoon while the first micro-batch is running, and
``retail_microbatch`` runs once after each, every run's batch fixed by the offsets ledger
(``audit.kafka_batch``); ``retail_daily`` then closes the day. Everything is real: Airflow
(manual runs through ``dag.test``, recorded in the same PostgreSQL metadata database as
``make airflow``'s UI, so the runs are there and the schedule goes on with today), Spark
(local[*]), Kafka (KAFKA_BOOTSTRAP_SERVERS, else the project's broker that ``make demo``
starts) and the warehouse of WAREHOUSE_URL (or the project-local PostgreSQL). It ends with
the KPI table and the Kafka ledger read back from Postgres.
``--no-kafka`` skips the Kafka part (the file dates then end yesterday).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retail_kpi.airflow_env import DAGS_TEST_ENV
from retail_kpi.cli_args import iso_date
from retail_kpi.config import settings
from retail_kpi.warehouse.db import redact

DEFAULT_DAYS = 3
#: Days of history before the daily dates: trends, weekly rhythm, month-over-month growth.
DEFAULT_HISTORY_DAYS = 90
#: Dates of the KPI table printed at the end (earlier ones are summed in one line).
SHOWN_DAYS = 7
#: The simulator publishes the Kafka day in these two parts (what a source streams all day).
KAFKA_WINDOWS = ("00:00-12:00", "12:00-00:00")
#: Logical times of the two micro-batch runs, after the Kafka day (distinct runs).
MICROBATCH_TIMES = (dt.time(0, 10), dt.time(0, 20))
POLL_S = 0.5
#: How ``python -m retail_kpi.ops.dagrun`` reports each finished date.
DAGRUN_LINE = "DAGRUN "


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--start",
        type=iso_date,
        default=None,
        help="first business date (default: the one that makes the last date yesterday, so "
        "`make airflow` goes on with today)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"consecutive dates from files (default {DEFAULT_DAYS}); the Kafka day follows",
    )
    parser.add_argument(
        "--history-days",
        type=int,
        default=DEFAULT_HISTORY_DAYS,
        help="business days before --start delivered as one bulk history drop, landed on "
        f"the last of them (default {DEFAULT_HISTORY_DAYS}; 0 = none)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="skip the runs, only print the KPI table"
    )
    parser.add_argument(
        "--no-kafka",
        action="store_true",
        help="files only: skip the Kafka day (published after the file dates, then micro-batched)",
    )


def _logs() -> Path:
    """The folder of the demo's step logs (``data/logs/``), created when missing."""
    logs = settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as fh:  # the child keeps its own handle
        return subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)


def _check(title: str, proc: subprocess.Popen[bytes], log: Path, started: float) -> float:
    """Wait for ``proc``; its duration, or exit with the log's tail when it failed."""
    returncode = proc.wait()
    took = time.monotonic() - started
    if returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise SystemExit(f"{tail}\n{title} failed after {took:.0f}s; full log: {log}")
    return took


def _step(title: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
    started = time.monotonic()
    print(f"==> {title} ...", flush=True)
    took = _check(title, _spawn(cmd, env, log), log, started)
    print(f"    done in {took:.1f}s (log: {log})", flush=True)


@dataclass(frozen=True)
class Dates:
    """The demo's business dates: consecutive file dates, then the Kafka day (if any)."""

    files: tuple[dt.date, ...]
    kafka: dt.date | None
    #: first and last day of the bulk history drop (landed on the last), before ``files``
    history: tuple[dt.date, dt.date] | None = None

    @property
    def first(self) -> dt.date:
        if self.history is not None:
            return self.history[0]
        return self.files[0] if self.files else self.last

    @property
    def daily(self) -> tuple[dt.date, ...]:
        """The landing dates ``retail_daily`` runs from files: the drop's, then each day's."""
        return ((self.history[1],) if self.history else ()) + self.files

    @property
    def last(self) -> dt.date:
        if self.kafka is not None:
            return self.kafka
        return self.files[-1] if self.files else self.daily[-1]


def dates(args: argparse.Namespace, today: dt.date) -> Dates:
    """The dates to run; by default the last one is yesterday, the latest day the
    scheduler would run, so a ``make airflow`` after the demo continues with today."""
    days = max(args.days, 0)
    start = args.start
    if start is None:
        start = today - dt.timedelta(days=days + (0 if args.no_kafka else 1))
    files = tuple(start + dt.timedelta(days=i) for i in range(days))
    kafka = None if args.no_kafka else start + dt.timedelta(days=days)
    history = None
    if args.history_days > 0:
        history = (start - dt.timedelta(days=args.history_days), start - dt.timedelta(days=1))
    if kafka is None and not files and history is None:
        raise SystemExit("Nothing to run: --days 0 and --history-days 0 with --no-kafka.")
    return Dates(files, kafka, history)


def demo_env(start: dt.date) -> dict[str, str]:
    """The demo's environment: Airflow's metadata in the database ``make airflow`` uses
    (its UI shows the demo's runs), manual runs (``dag.test``); the store opens on the
    demo's first date, unless set otherwise.

    Without an opening date, shipments and returns of the first days would refer to
    orders of the week before, which a new warehouse never saw (quarantined ORPHAN_KEY).
    """
    from retail_kpi.ops import airflow_ctl

    os.environ.setdefault("RETAIL_OPENED_ON", start.isoformat())
    env = airflow_ctl.service_env()
    env.update(DAGS_TEST_ENV)
    return env


def refuse_a_running_scheduler(env: dict[str, str]) -> None:
    """The demo's runs and a scheduler on the same metadata database would race for the
    same dates; ``make airflow`` afterwards picks up where the demo ended."""
    from retail_kpi.ops import airflow_ctl

    pid = airflow_ctl.running(env).get("scheduler")
    if pid is not None:
        raise SystemExit(
            f"Airflow's scheduler is running (pid {pid}, make airflow) on the metadata "
            "database the demo records its runs in; both would run the same dates. Stop it "
            "with `make airflow-stop`, run the demo, then `make airflow` again: it goes on "
            "from the demo's last date."
        )


def _daily(first: dt.date, last: dt.date, env: dict[str, str], logs: Path, why: str) -> None:
    """``retail_daily`` for ``first``..``last`` in one Airflow process (``dagrun``: the DAG
    is parsed once), a progress line per date as it finishes."""
    span = f"{first}" if first == last else f"{first}..{last}"
    title = f"retail_daily {span} ({why})"
    print(f"==> {title} ...", flush=True)
    cmd = [sys.executable, "-m", "retail_kpi.ops.dagrun", "retail_daily",
           "--from", first.isoformat(), "--to", last.isoformat()]  # fmt: skip
    log = logs / f"retail_daily-{span}.log"
    started = mark = time.monotonic()
    proc = _spawn(cmd, env, log)
    pending = ""
    with log.open(errors="replace") as reader:
        while True:
            finished = proc.poll() is not None
            pending += reader.read()
            *lines, pending = pending.split("\n")
            for line in lines:
                if line.startswith(DAGRUN_LINE):
                    run = json.loads(line.removeprefix(DAGRUN_LINE))
                    now = time.monotonic()
                    print(f"    {run['date']}: {run['state']} in {now - mark:.1f}s", flush=True)
                    mark = now
            if finished:
                break
            time.sleep(POLL_S)
    took = _check(title, proc, log, started)
    print(f"    done in {took:.1f}s (log: {log})", flush=True)


def run_dates(plan: Dates, env: dict[str, str]) -> None:
    """The simulator drops the history (one bulk drop) and each date's landing files, then
    ``retail_daily`` runs the drop's landing date and each date."""
    logs = _logs()
    if plan.history is not None:
        first, last = plan.history
        span = ["--start", first.isoformat(), "--end", last.isoformat()]
        _step(
            f"history {first}..{last} as one bulk drop landed on {last} "
            "(upstream simulator: python -m simulator generate --bulk)",
            [sys.executable, "-m", "simulator", "generate", "--bulk", *span, "-q"],
            env,
            logs / f"generate-history-{first}..{last}.log",
        )
    for day in plan.files:
        _step(
            f"landing {day} (upstream simulator: python -m simulator generate)",
            [sys.executable, "-m", "simulator", "generate", "--date", day.isoformat(), "-q"],
            env,
            logs / f"generate-{day}.log",
        )
    _daily(plan.daily[0], plan.daily[-1], env, logs, "waits for each date's done-marker")


def migrate(env: dict[str, str]) -> None:
    """Airflow's metadata schema in the database of ``env`` (as ``make airflow`` does)."""
    logs = _logs()
    cmd = [sys.executable, "-m", "airflow", "db", "migrate"]
    _step("airflow db migrate (metadata in PostgreSQL, as make airflow)", cmd, env,
          logs / "airflow-db.log")  # fmt: skip


def _publish(
    day: dt.date, window: str, env: dict[str, str], logs: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the simulator publishing the messages of ``day`` that arrive in ``window``."""
    log = logs / f"produce-{day}-{window.replace(':', '')}.log"
    cmd = [sys.executable, "-m", "simulator", "produce", "--date", day.isoformat(),
           "--window", window, "-q"]  # fmt: skip
    return _spawn(cmd, env, log), log


def _sent(log: Path) -> str:
    """The simulator's summary ("<date>: N messages (P poison, D defects) in Xs to <broker>")."""
    lines = log.read_text(errors="replace").splitlines()
    return next((line.split(";")[0] for line in reversed(lines) if " messages (" in line), "")


def _last_batch() -> int:
    import psycopg

    with psycopg.connect(settings().warehouse_url) as conn:
        row = conn.execute("select coalesce(max(batch_id), 0) from audit.kafka_batch").fetchone()
    return int(row[0]) if row else 0


def _batches_since(batch_id: int) -> list[tuple[Any, ...]]:
    """Ledger figures of the batches after ``batch_id``: id, messages, dates, ranges, topics."""
    import psycopg

    with psycopg.connect(settings().warehouse_url) as conn:
        return conn.execute(
            """
            select b.batch_id, coalesce(b.messages, 0), coalesce(b.ingest_dates, '{}'),
                   count(o.topic), count(distinct o.topic)
            from audit.kafka_batch as b
            left join audit.kafka_offsets as o on b.batch_id = o.batch_id
            where b.batch_id > %s group by b.batch_id order by b.batch_id
            """,
            (batch_id,),
        ).fetchall()


def _microbatch(
    n: int,
    logical: dt.datetime,
    env: dict[str, str],
    logs: Path,
    meanwhile: tuple[dt.date, str] | None = None,
) -> None:
    """One ``retail_microbatch`` run, then its batch's figures from the ledger.

    ``meanwhile`` (day, window): once the run has fixed its batch in the ledger, the source
    publishes that window in the background, as a live source goes on while the pipeline
    works; the batch stays what it was planned as. The publisher is waited for and checked.
    """
    title = f"micro-batch {n}: retail_microbatch {logical:%Y-%m-%dT%H:%M} (airflow dags test)"
    print(f"==> {title} ...", flush=True)
    before, started = _last_batch(), time.monotonic()
    log = logs / f"retail_microbatch-{logical:%Y%m%dT%H%M}.log"
    cmd = [sys.executable, "-m", "airflow", "dags", "test", "retail_microbatch"]
    run = _spawn([*cmd, logical.isoformat()], env, log)
    source = None
    try:
        if meanwhile is not None:
            while run.poll() is None and _last_batch() <= before:
                time.sleep(POLL_S)
            source = (*_publish(*meanwhile, env, logs), time.monotonic())
            print(
                f"    batch planned; meanwhile the source publishes {meanwhile[0]} "
                f"{meanwhile[1]} in the background (log: {source[1]})",
                flush=True,
            )
        took = _check(title, run, log, started)
    except BaseException:
        if source is not None and source[0].wait() != 0:
            print(f"The background publish failed too; log: {source[1]}", file=sys.stderr)
        raise
    if source is not None:
        _check(f"background publish of {source[1].stem}", *source)
        print(f"    source: {_sent(source[1])} (while micro-batch {n} ran)", flush=True)
    for batch_id, messages, dates, ranges, topics in _batches_since(before):
        days = ", ".join(str(d) for d in dates) or "none"
        print(f"    micro-batch {n}: {messages:,} messages in batch {batch_id} ({ranges} partition "
              f"ranges of {topics} topics, ingest dates {days}) in {took:.1f}s (log: {log})",
              flush=True)  # fmt: skip


def run_kafka(day: dt.date, env: dict[str, str]) -> None:
    """The live path for ``day``: publish it in two parts, one micro-batch after each, then
    the day's ``retail_daily`` run closes it (its wait ends once the micro-batches read past
    the day's end)."""
    logs = _logs()
    first, second = KAFKA_WINDOWS
    title = (
        f"Kafka {day} {first} (upstream simulator: python -m simulator produce --window {first})"
    )
    print(f"==> {title} ...", flush=True)
    started = time.monotonic()
    proc, log = _publish(day, first, env, logs)
    _check(title, proc, log, started)
    print(
        f"    source: {_sent(log)} (log: {log})\n"
        "    (a real source streams its events all day; the demo publishes the day in two\n"
        '     parts, fast. make produce PRODUCE_ARGS="--speed 144 --follow" replays a day in\n'
        "     10 minutes, which a scheduled retail_microbatch picks up every 10 minutes)",
        flush=True,
    )
    after = day + dt.timedelta(days=1)
    times = [dt.datetime.combine(after, t, dt.UTC) for t in MICROBATCH_TIMES]
    _microbatch(1, times[0], env, logs, meanwhile=(day, second))
    _microbatch(2, times[1], env, logs)
    _daily(day, day, env, logs, "closes the Kafka day: whole-day KPIs, dimensions")


def print_ledger() -> None:
    """Per topic, from audit.v_kafka_batch: batches, messages, offsets read per partition."""
    import psycopg

    with psycopg.connect(settings().warehouse_url) as conn:
        rows = conn.execute(
            "select topic, partition, batch_id, start_offset, end_offset, partition_messages"
            " from audit.v_kafka_batch where topic is not null"  # not the empty polls
            " order by topic, partition, batch_id"
        ).fetchall()
    if not rows:
        return
    topics: dict[str, dict[str, Any]] = {}
    for topic, partition, batch_id, lo, hi, messages in rows:
        t = topics.setdefault(topic, {"batches": set(), "messages": 0, "ranges": {}})
        t["batches"].add(batch_id)
        t["messages"] += messages or 0
        first, last = t["ranges"].get(partition, (lo, hi))
        t["ranges"][partition] = (min(first, lo), max(last, hi))
    batches = len({row[2] for row in rows})
    total = sum(t["messages"] for t in topics.values())
    print(f"\nKafka ledger (audit.v_kafka_batch): {batches} batches with messages, {total:,} read")
    print(f"{'topic':<22}{'batches':>8}{'messages':>10}  offsets read [first, end) per partition")
    for topic, t in topics.items():
        ranges = " ".join(f"p{p} [{lo}, {hi})" for p, (lo, hi) in sorted(t["ranges"].items()))
        print(f"{topic:<22}{len(t['batches']):>8}{t['messages']:>10,}  {ranges}")


def report(start: dt.date, days: int, kafka_day: dt.date | None = None) -> None:
    """The KPI table of the dates (``kafka_day``'s from Kafka), reconciliation, ledger."""
    import psycopg

    end = start + dt.timedelta(days=days - 1)
    with psycopg.connect(settings().warehouse_url) as conn:
        rows = conn.execute(
            """
            select sales_date, country_code, orders, net_sales_usd, avg_order_value_usd
            from mart.kpi_daily_sales where sales_date between %s and %s
            order by sales_date, country_code
            """,
            (start, end),
        ).fetchall()
    if not rows:
        raise SystemExit(f"No KPI rows for {start}..{end} in mart.kpi_daily_sales; run the demo.")
    where = redact(settings().warehouse_url)  # never the password
    shown_from = end - dt.timedelta(days=SHOWN_DAYS - 1)
    print(f"\nDaily sales KPIs read back from Postgres ({where}):")
    earlier = [r for r in rows if r[0] < shown_from]
    if earlier:
        days_before = len({r[0] for r in earlier})
        orders_before = sum(r[2] for r in earlier)
        net_before = sum(r[3] for r in earlier)
        print(
            f"{start} .. {shown_from - dt.timedelta(days=1)}: {days_before} days, "
            f"{orders_before:,} orders, {net_before:,.2f} USD net sales (mart.kpi_daily_sales)"
        )
    print(f"{'date':<12}{'country':<9}{'orders':>8}{'net sales USD':>16}{'AOV USD':>10}  from")
    for day, country, orders, net, aov in rows:
        if day < shown_from:
            continue
        source = "Kafka" if day == kafka_day else "files"
        print(f"{day!s:<12}{country:<9}{orders:>8}{net:>16,.2f}{aov:>10,.2f}  {source}")
    s = settings()
    print_reconciliation(s.lake_dir, start, days)
    if kafka_day is not None:
        print_ledger()
    print(
        "\nWhere to look next:\n"
        f"  raw files      {s.landing_dir}\n"
        f"  parquet lake   {s.lake_dir} (raw/kafka/, silver/, quarantine/, kpi/)\n"
        f"  run logs       {s.data_dir / 'logs'}\n"
        f"  warehouse      {redact(s.warehouse_url)}  (schemas dw, mart, audit){_password_hint()}\n"
        f"  Airflow UI     make airflow   ({_schedule_hint(end)})\n"
        "  Superset       make superset  services  make services"
    )


def _schedule_hint(end: dt.date) -> str:
    """What the scheduler does after the demo: the next date, or the gap it leaves."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if end == yesterday:
        return f"the demo's runs are there; retail_daily goes on with {end + dt.timedelta(days=1)}"
    return (
        f"the demo's runs are there; its dates end {end}, the schedule runs {yesterday} first "
        "(catchup off): backfill the days between in the UI"
    )


def _password_hint() -> str:
    """Where the login's password is, when it is one the project generated."""
    from retail_kpi import config

    if config.managed_warehouse() and "WAREHOUSE_URL" not in os.environ:
        return f"\n                 password: RETAIL_ETL_PASSWORD in {config.SECRETS_FILE}"
    return ""


def print_reconciliation(lake: Path, start: dt.date, days: int) -> None:
    """Per ingest date: records in = clean + quarantined + deduplicated (all entities)."""
    import json

    print(
        "\nEvery landing record and Kafka message accounted for "
        "(lake/_audit/clean/dt=<date>/reconciliation.json):"
    )
    print(f"{'date':<12}{'in':>9}{'clean':>9}{'quarantined':>13}{'deduplicated':>14}  top reasons")
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        path = lake / "_audit" / "clean" / f"dt={day}" / "reconciliation.json"
        if not path.exists():
            continue
        entities = json.loads(path.read_text())["entities"].values()
        total = {k: sum(e[k] for e in entities) for k in
                 ("rows_in", "rows_clean", "rows_quarantined", "rows_deduplicated")}  # fmt: skip
        reasons: dict[str, int] = {}
        for e in entities:
            for code, n in e["by_reason"].items():
                reasons[code] = reasons.get(code, 0) + n
        top = ", ".join(f"{c} {n}" for c, n in sorted(reasons.items(), key=lambda x: -x[1])[:3])
        print(
            f"{day!s:<12}{total['rows_in']:>9}{total['rows_clean']:>9}"
            f"{total['rows_quarantined']:>13}{total['rows_deduplicated']:>14}  {top}"
        )
    opened = settings().opened_on
    if opened is not None:
        print(
            f"  (The store opened on {opened} (RETAIL_OPENED_ON): shipments report on orders of\n"
            "   7 days before and returns on the 7 previous days, so the first week has few.)"
        )


def run(args: argparse.Namespace) -> int:
    today = dt.datetime.now(dt.UTC).date()
    plan = dates(args, today)
    if plan.kafka is not None and not args.report_only and plan.kafka >= today:
        raise SystemExit(
            f"The Kafka part publishes {plan.kafka}, which is not over yet (brokers refuse "
            "messages stamped over an hour ahead); pick an earlier --start, or add --no-kafka."
        )
    if not args.report_only:
        env = demo_env(plan.first)
        refuse_a_running_scheduler(env)
        migrate(env)
        if plan.daily:
            run_dates(plan, env)
        if plan.kafka is not None:
            run_kafka(plan.kafka, env)
    report(plan.first, (plan.last - plan.first).days + 1, plan.kafka)
    return 0
