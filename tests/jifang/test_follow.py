"""A topic follower's lag and applied counts, as the Kafka dashboard and the consumer-lag alert
read them: the messages left while it is held up, none once it caught up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry

from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.kafka import create_producer
from tests.conftest import eventually

Apply = Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]


class Follower(TopicFollower):
    def __init__(self, bootstrap: str, topic: str, apply: Apply, registry: CollectorRegistry) -> None:
        group = f"g-{uuid.uuid4().hex[:8]}"
        super().__init__(
            lambda: AIOKafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=10,
            ),
            [topic],
            metrics=ConsumerMetrics(registry, "test", group),
        )
        self.lag_every_s = 0.0
        self._apply = apply
        self.labels = {"service": "test", "group": group, "topic": topic}

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        await self._apply(records)


async def topic_of_40(bootstrap: str, partitions: int) -> str:
    topic = f"test.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, partitions, 1)])
    await admin.close()
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    for i in range(40):
        await producer.send_and_wait(topic, f"e{i}".encode(), key=f"k{i}".encode())
    await producer.stop()
    return topic


async def test_lag_counts_what_is_left(bootstrap: str) -> None:
    """One batch (at most 10) applied and committed, held on the next: the rest is the lag."""
    topic = await topic_of_40(bootstrap, partitions=1)
    batches: list[int] = []

    async def one_batch(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        batches.append(len(records))
        if len(batches) > 1:
            await asyncio.Event().wait()

    registry = CollectorRegistry()
    follower = Follower(bootstrap, topic, one_batch, registry)
    assert registry.get_sample_value("kafka_messages_consumed_total", follower.labels) == 0
    await follower.start()
    try:
        await eventually(
            lambda: registry.get_sample_value("kafka_consumer_lag", follower.labels) is not None, 20
        )
        assert registry.get_sample_value("kafka_messages_consumed_total", follower.labels) == batches[0]
        assert registry.get_sample_value("kafka_consumer_lag", follower.labels) == 40 - batches[0]
    finally:
        await follower.stop()


async def test_no_lag_once_caught_up(bootstrap: str) -> None:
    topic = await topic_of_40(bootstrap, partitions=2)
    applied: list[bytes] = []

    async def store(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        applied.extend(r.value for r in records if r.value is not None)

    registry = CollectorRegistry()
    follower = Follower(bootstrap, topic, store, registry)
    await follower.start()
    try:
        await eventually(lambda: len(applied) == 40, 20)
        await eventually(
            lambda: registry.get_sample_value("kafka_messages_consumed_total", follower.labels) == 40
        )
        await eventually(lambda: registry.get_sample_value("kafka_consumer_lag", follower.labels) == 0)
    finally:
        await follower.stop()
