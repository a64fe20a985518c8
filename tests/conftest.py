"""Shared fixtures: a real Spark session and real PostgreSQL databases.

Nothing here is mocked. Databases are created per test session with a unique name on
the server of WAREHOUSE_URL (the one `python -m retail_kpi.bootstrap` made reachable)
through the admin login, used by the tests through the pipeline's own login (not a
superuser), and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from retail_kpi.config import env
from retail_kpi.warehouse.db import admin_url
from tests.generated_lake import GeneratedLake


def server_url(dbname: str = "postgres") -> str:
    """WAREHOUSE_URL (the pipeline's login) with its database replaced by ``dbname``."""
    parts = urlsplit(env("WAREHOUSE_URL").replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def admin_server_url(dbname: str = "postgres") -> str:
    """The admin login (creates databases and roles) on the same server, db ``dbname``."""
    return admin_url(server_url(dbname))


@pytest.fixture(scope="session")
def spark():
    """One small local Spark session for the whole test run, with the DAG's extra jars."""
    from pyspark.sql import SparkSession

    from retail_kpi.services import jvm

    session = (
        SparkSession.builder.master("local[2]")
        .appName("retail-kpi-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.jars", ",".join(jvm.spark_jars()))
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_connect(tmp_path_factory) -> Iterator[str]:
    """A Spark Connect server of the project's (its own folder and port); its URL."""
    from retail_kpi.services import spark_connect as service

    root = tmp_path_factory.mktemp("spark_connect")
    # its lineage events go to its own folder, not the checkout's data/lineage/
    lineage_env = {**os.environ, "RETAIL_DATA_DIR": str(root / "data")}
    server = service.ConnectServer(root, service.free_port(), "local[2]", lineage_env)
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def generated_lake(spark, tmp_path_factory) -> GeneratedLake:
    """Consecutive generated dirty days, built once, copied per module (see its module)."""
    return GeneratedLake(spark, tmp_path_factory.mktemp("generated_lake"))


@pytest.fixture(scope="session")
def make_database() -> Iterator[Callable[[str], str]]:
    """Factory: ``make_database("prefix")`` -> URL of a new empty database (dropped at end)."""
    created: list[str] = []

    def _make(prefix: str) -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(admin_server_url(), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        created.append(name)
        return server_url(name)

    yield _make
    with psycopg.connect(admin_server_url(), autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    import socket

    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> Iterator[str]:
    """Bootstrap servers of a real Kafka broker for the session.

    KAFKA_BOOTSTRAP_SERVERS when set (checked, never stopped); otherwise the project's
    broker in a folder and on ports of its own (a developer's `make kafka` broker is left
    alone), stopped at the end of the session.
    """
    from retail_kpi.services import kafka

    if env("KAFKA_BOOTSTRAP_SERVERS"):
        yield kafka.start()
        return
    broker = kafka.LocalBroker(tmp_path_factory.mktemp("kafka"), *free_ports(2))
    try:
        yield broker.start()
    finally:
        broker.stop()
