"""The pipeline's stages as the DAG defines them, turned into commands the harness runs.

The stage list, order and Spark command lines come from the ``retail_daily`` DAG object
itself: a Spark task's ``spark-submit`` command is built by the task's own
``SparkSubmitHook`` (same connection, conf, name, arguments and environment), a Python
task becomes ``python -m bench.harness.task <task_id>``, which calls the same
``retail_kpi.pipeline`` function the task calls. Change the DAG and the bench follows.

The DAG never writes its input: it waits for the source's done-marker. In the bench the
source is the generator, so the DAG's ``wait_for_landing`` becomes the stage
``generate_landing`` of kind ``source`` (the files, then the marker), timed on its own and
kept out of the pipeline's totals (``report.summarize_run``); the landing contract itself
is still checked, and timed, by ``validate_landing``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_kpi.config import REPO_ROOT

DAG_FILE = REPO_ROOT / "dags" / "retail_daily.py"
NOOP_APP = REPO_ROOT / "bench" / "spark_noop.py"
COMBINED_APP = REPO_ROOT / "bench" / "spark_combined.py"
#: A Wednesday in March: no holiday, demand factor close to 1 (as bench_generate.py).
BENCH_DAY = dt.date(2026, 3, 11)
#: Mean order lines per order (1 + min(Poisson(1.5), 7)), see docs/DATA.md.
LINES_PER_ORDER = 2.5
#: Population per order/day at the bench's scale (the defaults' 2.5 customers per daily
#: order would make the daily customer snapshot as big as the order lines at 1M).
CUSTOMERS_PER_ORDER = 0.25
PRODUCTS_PER_ORDER = 0.005
MIN_PRODUCTS, MAX_PRODUCTS = 200, 89_999


@dataclass(frozen=True)
class Scale:
    """Generator volume for about ``lines`` order lines on ``day``."""

    lines: int
    orders: int
    customers: int
    products: int

    @classmethod
    def for_lines(cls, lines: int, demand: float) -> Scale:
        """``demand`` = the day's seasonal factor (expected orders per configured order)."""
        orders = max(1, round(lines / LINES_PER_ORDER / demand))
        products = min(MAX_PRODUCTS, max(MIN_PRODUCTS, round(orders * PRODUCTS_PER_ORDER)))
        return cls(lines, orders, max(1, round(orders * CUSTOMERS_PER_ORDER)), products)

    def params(self) -> dict[str, int]:
        """Generator volume of the source stage (``generate_landing``)."""
        return {
            "orders_per_day": self.orders,
            "customers": self.customers,
            "products": self.products,
        }


def demand_factor(day: dt.date) -> float:
    """Expected orders on ``day`` per configured order per day (seasonality, weekday)."""
    from simulator.market import expected_orders

    return float(expected_orders(day, 1.0).sum())


@dataclass(frozen=True)
class Stage:
    """One task of the DAG, ready to run."""

    task_id: str
    kind: str  # "python" | "spark" | "source" (the upstream's work, not the pipeline's)
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the bench environment


def load_dag(path: Path = DAG_FILE) -> Any:
    """A fresh DAG object (a fresh one per run: rendering templates mutates operators)."""
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def spark_command(
    op: Any,
    day: dt.date,
    run_id: str,
    application: str | None = None,
    extra_conf: dict[str, str] | None = None,
) -> Stage:
    """The exact spark-submit command and extra environment the operator's hook would use.

    ``extra_conf`` is added to the operator's ``conf`` as if the DAG had it (A/B tests).
    """
    op.render_template_fields({"ds": day.isoformat(), "run_id": run_id})
    op.conf = {**(op.conf or {}), **(extra_conf or {})}
    hook = op._get_hook()
    cmd = hook._build_spark_submit_command(application or op.application)
    env = {k: str(v) for k, v in (hook._env or {}).items()}
    return Stage(op.task_id, "spark", cmd, env)


def sized(stage: Stage, landing_dir: Path) -> Stage:
    """A Spark stage with the driver JVM options its task would add when it runs
    (``retail_kpi.ops.spark.sized_conf``: they follow the date's landing volume, which
    exists only once the generate stage has run)."""
    from retail_kpi.ops.spark import JAVA_OPTIONS, sized_conf

    if stage.kind != "spark" or any(a.startswith(f"{JAVA_OPTIONS}=") for a in stage.cmd):
        return stage
    day = stage.cmd[stage.cmd.index("--date") + 1]
    extra = [a for k, v in sized_conf({}, landing_dir, day).items() for a in ("--conf", f"{k}={v}")]
    return Stage(stage.task_id, stage.kind, [stage.cmd[0], *extra, *stage.cmd[1:]], stage.env)


#: The DAG's task that waits for the source, and the bench stage that is the source.
WAIT_TASK, SOURCE_TASK = "wait_for_landing", "generate_landing"
#: The source's generator settings unless the bench sets them (the generator's defaults).
SOURCE_DEFAULTS: dict[str, Any] = {"defect_scale": 1.0}


def python_command(
    task_id: str, day: dt.date, run_id: str, params: dict[str, Any], kind: str = "python"
) -> Stage:
    cmd = [sys.executable, "-m", "bench.harness.task", task_id, "--date", day.isoformat()]
    return Stage(task_id, kind, [*cmd, "--run-id", run_id, "--params", json.dumps(params)])


def plan(
    dag: Any,
    day: dt.date,
    run_id: str,
    params: dict[str, Any],
    extra_conf: dict[str, str] | None = None,
) -> list[Stage]:
    """Every task of ``dag`` in dependency order, as commands; the wait for the landing
    is the source dropping it (``params``: the generator's volume, see :class:`Scale`)."""
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    from bench.harness.task import TASKS

    run_params = {**SOURCE_DEFAULTS, **{k: dag.params[k] for k in dag.params}, **params}
    stages = []
    for op in dag.topological_sort():
        if isinstance(op, SparkSubmitOperator):
            stages.append(spark_command(op, day, run_id, extra_conf=extra_conf))
        elif op.task_id == WAIT_TASK:
            stages.append(python_command(SOURCE_TASK, day, run_id, run_params, kind="source"))
        elif op.task_id in TASKS:
            stages.append(python_command(op.task_id, day, run_id, run_params))
        else:
            raise SystemExit(
                f"The DAG has a task {op.task_id!r} the bench does not know; "
                "add it to bench/harness/task.py."
            )
    return stages


def noop_command(
    dag: Any, day: dt.date, run_id: str, extra_conf: dict[str, str] | None = None
) -> Stage:
    """An empty application submitted like the DAG's first Spark task (start-up cost)."""
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    first = next(op for op in dag.topological_sort() if isinstance(op, SparkSubmitOperator))
    stage = spark_command(first, day, run_id, str(NOOP_APP), extra_conf)
    return Stage("spark_noop", "spark", stage.cmd, stage.env)


def one_spark_app(stages: list[Stage]) -> list[Stage]:
    """The plan with every Spark task folded into the first one, which runs them all in
    one application (``bench/spark_combined.py``): the "one Spark application" proposal."""
    spark = [s for s in stages if s.kind == "spark"]
    if len(spark) < 2:
        return stages
    first = spark[0]
    app = next(i for i, arg in enumerate(first.cmd) if arg.endswith(".py"))
    cmd = [*first.cmd[:app], str(COMBINED_APP), *first.cmd[app + 1 :]]
    name = "+".join(s.task_id for s in spark)
    merged = Stage(name, "spark", cmd, first.env)
    return [merged if s is first else s for s in stages if s.kind != "spark" or s is first]
