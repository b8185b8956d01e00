"""The buffered publisher against the real broker: everything arrives normally; while the
broker is paused what fits waits, what overflows is dropped oldest-first and counted."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry

from devtools.broker import LocalBroker
from jifang.kafka import create_producer
from jifang.publisher import BufferedPublisher, Outgoing, PublisherMetrics


async def _topic(bootstrap: str) -> str:
    name = f"test.pub.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(name, 1, 1)])
    await admin.close()
    return name


async def _read_all(bootstrap: str, topic: str, expect: int, timeout: float = 30) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < expect and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(r.value for r in records if r.value is not None)
        # Nothing more should come.
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            got.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return got


def _publisher(bootstrap: str, capacity: int) -> tuple[BufferedPublisher, CollectorRegistry]:
    registry = CollectorRegistry()
    pub = BufferedPublisher(
        lambda: create_producer(bootstrap, enable_idempotence=False, request_timeout_ms=3000),
        PublisherMetrics(registry, "test"),
        capacity=capacity,
        batch_size=50,
    )
    pub.max_backoff_s = 1.0
    return pub, registry


async def test_everything_offered_arrives(bootstrap: str) -> None:
    topic = await _topic(bootstrap)
    pub, registry = _publisher(bootstrap, capacity=1000)
    await pub.start()
    for i in range(120):
        pub.offer(Outgoing(topic, b"k", f"m{i}".encode()))
    got = await _read_all(bootstrap, topic, 120)
    await pub.stop()
    assert got == [f"m{i}".encode() for i in range(120)]
    assert registry.get_sample_value("kafka_messages_sent_total", {"service": "test", "topic": topic}) == 120
    assert pub.depth == 0


async def test_broker_outage_keeps_what_fits_and_counts_what_is_dropped(
    bootstrap: str, broker: LocalBroker | None, caplog: pytest.LogCaptureFixture
) -> None:
    if broker is None:
        pytest.skip("needs the bundled broker, which the test can pause")
    topic = await _topic(bootstrap)
    pub, registry = _publisher(bootstrap, capacity=100)
    await pub.start()
    pub.offer(Outgoing(topic, b"k", b"before"))
    await asyncio.sleep(1)
    broker.pause()
    try:
        with caplog.at_level(logging.WARNING, logger="jifang.publisher"):
            for i in range(250):
                pub.offer(Outgoing(topic, b"k", f"m{i}".encode()))
                await asyncio.sleep(0.01)
        assert pub.depth == 100
    finally:
        broker.resume()
    got = await _read_all(bootstrap, topic, 101, timeout=60)
    await pub.stop()
    dropped = registry.get_sample_value("kafka_messages_dropped_total", {"service": "test", "topic": topic})
    assert got[0] == b"before"
    delivered = [int(m[1:]) for m in got[1:]]
    # Every message offered is delivered or counted as dropped, never both, never neither.
    assert dropped == pub.dropped_total == 250 - len(delivered) == 150
    # What survived: the batch in flight when the broker stopped (retried, not dropped),
    # then the newest messages; the oldest of the rest were the ones dropped.
    k = next(i for i, n in enumerate(delivered) if n != i)
    assert k >= 1 and delivered == list(range(k)) + list(range(250 - (100 - k), 250))
    assert "publish buffer full" in caplog.text
