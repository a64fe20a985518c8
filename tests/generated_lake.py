"""A lake of consecutive generated dirty days, built once per test session.

Building a day (generate -> clean job -> KPI job) costs a minute of Spark on 2 shared
cores, so modules that need the same kind of lake share one (the session fixture
``generated_lake`` of tests/conftest.py): each asks for a copy of the
first N days (landing + lake) in its own folder and may change that copy freely. The days
are built in order with the session's warm Spark session, calling the functions
``spark-submit`` runs, and a snapshot is kept after each day: the copy of N days is
exactly what the lake held after day N (a later day may route late rows into an earlier
partition and recompute its KPIs).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

#: What every shared day is generated with. The faults test's Airflow runs never regenerate
#: the landing (the DAG waits for it): they copy this one, done-markers included.
SEED = 5
VOLUME = {"orders": 250, "customers": 400, "products": 40}
START = dt.date(2026, 3, 2)


class GeneratedLake:
    def __init__(self, spark, root: Path) -> None:
        self.spark, self.root = spark, root
        self.work = root / "work"
        self.days: list[dt.date] = []

    def _build_next(self) -> None:
        from simulator import generate_day
        from spark_jobs import clean, kpis

        day = START + dt.timedelta(days=len(self.days))
        landing, lake = self.work / "landing", self.work / "lake"
        generate_day(day, landing, seed=SEED, **VOLUME)
        clean.run(self.spark, day, f"lake__{day}", str(landing), str(lake))
        kpis.run(self.spark, lake, day, f"lake__{day}")
        self.days.append(day)
        shutil.copytree(self.work, self.root / f"after-{len(self.days)}")

    def copy(self, days: int, dest: Path) -> list[dt.date]:
        """Copy ``landing/`` and ``lake/`` as they were after the first ``days`` days into
        ``dest``; returns those dates."""
        while len(self.days) < days:
            self._build_next()
        shutil.copytree(self.root / f"after-{days}", dest, dirs_exist_ok=True)
        return self.days[:days]
