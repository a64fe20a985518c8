"""The project's Kafka broker (retail_kpi/services/kafka.py), against real brokers.

Messages go through a real broker and come back exactly (count, keys, contiguous offsets).
The life-cycle tests run their own broker in a temporary folder on free ports, so they
never touch a developer's `make kafka` broker nor the session's ``kafka_broker``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from retail_kpi.config import env
from retail_kpi.services import kafka, process
from tests.conftest import free_ports

pytestmark = pytest.mark.integration

CONSUME_TIMEOUT_S = 30.0


def new_topic(servers: str) -> str:
    """A fresh single-partition topic (explicitly created: the broker creates none)."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": servers})  # kept alive until the result
    admin.create_topics([NewTopic(name, num_partitions=1)])[name].result(timeout=30)
    return name


def produce(servers: str, topic: str, count: int) -> list[str]:
    """``count`` keyed messages, acknowledged by the broker; returns their keys in order."""
    producer = Producer({"bootstrap.servers": servers, "acks": "all", "enable.idempotence": True})
    keys = [f"order-{i:05d}" for i in range(count)]
    for key in keys:
        producer.produce(topic, key=key, value=f"payload of {key}")
    assert producer.flush(30) == 0, "messages left unacknowledged"
    return keys


def consume(servers: str, topic: str, count: int) -> list[tuple[str, int]]:
    """(key, offset) of the first ``count`` messages of partition 0, read from offset 0."""
    consumer = Consumer(
        {"bootstrap.servers": servers, "group.id": f"test-{uuid.uuid4().hex[:6]}",
         "enable.auto.commit": False}
    )  # fmt: skip
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got: list[tuple[str, int]] = []
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            got.append((msg.key().decode(), msg.offset()))
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()
    assert high == count, "the partition holds other messages than the ones produced"
    return got


def test_messages_come_back_exactly(kafka_broker: str) -> None:
    topic = new_topic(kafka_broker)
    try:
        keys = produce(kafka_broker, topic, 500)
        assert consume(kafka_broker, topic, 500) == list(zip(keys, range(500), strict=True))
    finally:  # an external cluster keeps no test topic
        admin = AdminClient({"bootstrap.servers": kafka_broker})
        admin.delete_topics([topic])[topic].result(timeout=30)


def test_health_is_a_metadata_answer_not_an_open_port() -> None:
    """A socket that accepts but never speaks Kafka is not a healthy broker."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not kafka.healthy(f"127.0.0.1:{listener.getsockname()[1]}", timeout_s=1.0)


def test_an_external_cluster_is_used_not_started(
    kafka_broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_broker)
    assert kafka.start() == kafka.bootstrap_servers() == kafka_broker
    status = kafka.status()
    assert (status.managed, status.healthy, status.pid) == (False, True, None)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_ports(1)[0]}")
    with pytest.raises(kafka.KafkaError, match=re.escape("KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:")):
        kafka.start(timeout_s=1)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka.LocalBroker]:
    """A broker of the tests' own. Each test starts it (a no-op when it runs): the order of
    the tests below only saves restarts, it does not matter for their outcome."""
    local = kafka.LocalBroker(tmp_path_factory.mktemp("kafka-life"), *free_ports(2))
    yield local
    local.stop()


def test_start_twice_is_one_broker(broker: kafka.LocalBroker) -> None:
    assert broker.start() == broker.address
    first = broker.pid()
    assert broker.start() == broker.address and broker.pid() == first
    status = broker.status()
    assert (status.pid, status.healthy, status.state) == (first, True, "running, healthy")
    assert status.rss_bytes and status.rss_bytes > 50 * 2**20


def test_settings_of_a_single_node_broker(broker: kafka.LocalBroker) -> None:
    """No implicit topics, one replica for internal topics, loopback only."""
    broker.start()
    admin = AdminClient({"bootstrap.servers": broker.address})
    resource = ConfigResource(ConfigResource.Type.BROKER, "1")
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    assert configs["auto.create.topics.enable"].value == "false"
    assert configs["offsets.topic.replication.factor"].value == "1"
    assert configs["listeners"].value == (
        f"PLAINTEXT://127.0.0.1:{broker.port},CONTROLLER://127.0.0.1:{broker.controller_port}"
    )


def test_a_restart_after_a_crash_spares_a_stale_pid_and_keeps_the_data(
    broker: kafka.LocalBroker,
) -> None:
    """The broker is gone and its PID file names someone else's process (a PID reused after
    a crash or a reboot; here a `sleep` and this pytest process): stop() must not signal it,
    status says stopped, start() starts a new broker, and the messages are still there."""
    broker.start()
    topic = new_topic(broker.address)
    keys = produce(broker.address, topic, 200)
    assert broker.stop()
    other = subprocess.Popen(["sleep", "60"])
    try:
        for stale in (other.pid, os.getpid()):
            process.write_pid(broker.pid_file, stale)
            assert broker.status().state == "stopped"
            assert not broker.stop()
            assert other.poll() is None  # still running: never signalled
    finally:
        other.kill()
        other.wait()
    broker.start()
    assert broker.pid() not in (None, other.pid, os.getpid())
    assert consume(broker.address, topic, 200) == list(zip(keys, range(200), strict=True))


def test_stop_stops_it(broker: kafka.LocalBroker) -> None:
    broker.start()
    pid = broker.pid()
    assert pid is not None and broker.stop()
    assert not process.is_ours(pid, broker.marker)
    assert not process.port_open("127.0.0.1", broker.port)
    status = broker.status()
    assert (status.state, status.pid, status.healthy) == ("stopped", None, False)
    assert not broker.stop()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        local = kafka.LocalBroker(tmp_path, port, free_ports(1)[0])
        with pytest.raises(kafka.KafkaError, match=re.escape(f"Port {port} on 127.0.0.1 is taken")):
            local.start()


def test_a_broker_that_dies_names_its_log(tmp_path: Path) -> None:
    """Storage that is not Kafka's: the broker exits and the error says where to look."""
    local = kafka.LocalBroker(tmp_path, *free_ports(2))
    local.data_dir.mkdir(parents=True)
    (local.data_dir / "meta.properties").write_text("not a kafka storage\n")
    with pytest.raises(kafka.KafkaError, match=r"exited while starting; see .*server\.log"):
        local.start(timeout_s=60)
    assert local.pid() is None


@pytest.mark.skipif(bool(env("KAFKA_BOOTSTRAP_SERVERS")), reason="an external cluster is set")
def test_the_session_broker_is_the_projects_own(kafka_broker: str) -> None:
    host, port = kafka_broker.rsplit(":", 1)
    assert host == "127.0.0.1" and kafka.healthy(kafka_broker)
    assert int(port) != kafka.DEFAULT_PORT  # its own port: a developer's broker is untouched
