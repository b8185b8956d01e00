"""A topic follower's lag and applied counts, as the Kafka dashboard and the consumer-lag alert
read them: the messages not yet applied while it is held up, none once it caught up."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry

from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.kafka import create_producer
from tests.conftest import eventually


class HeldFollower(TopicFollower):
    """Applies nothing until released: the backlog is its lag."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.release = asyncio.Event()
        self.applied: list[bytes] = []

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        await self.release.wait()
        self.applied.extend(r.value for r in records if r.value is not None)


async def test_lag_while_held_up_and_after_catching_up(bootstrap: str) -> None:
    topic, group = f"test.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 2, 1)])
    await admin.close()
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    for i in range(40):
        await producer.send_and_wait(topic, f"e{i}".encode(), key=f"k{i}".encode())
    await producer.stop()

    registry = CollectorRegistry()
    follower = HeldFollower(
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
    follower.lag_every_s = 0.0
    labels = {"service": "test", "group": group, "topic": topic}

    def sample(name: str) -> float | None:
        return registry.get_sample_value(name, labels)

    await follower.start()
    try:
        # Held on its first batch of at most 10: nothing applied, nothing measured yet.
        await asyncio.sleep(2)
        assert follower.applied == [] and sample("kafka_messages_consumed_total") == 0
        follower.release.set()
        await eventually(lambda: len(follower.applied) == 40, 20)
        await eventually(lambda: sample("kafka_messages_consumed_total") == 40, 10)
        await eventually(lambda: sample("kafka_consumer_lag") == 0, 10)
    finally:
        await follower.stop()


async def test_lag_counts_what_is_left(bootstrap: str) -> None:
    """One batch applied of 40 messages: the rest is the lag."""
    topic, group = f"test.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    for i in range(40):
        await producer.send_and_wait(topic, f"e{i}".encode(), key=b"k")
    await producer.stop()

    registry = CollectorRegistry()
    batches: list[int] = []

    class OneBatch(TopicFollower):
        async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
            batches.append(len(records))
            if len(batches) > 1:
                await asyncio.Event().wait()  # held on the second batch, after one was committed

    follower = OneBatch(
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
    follower.lag_every_s = 0.0
    labels = {"service": "test", "group": group, "topic": topic}
    await follower.start()
    try:
        await eventually(lambda: registry.get_sample_value("kafka_consumer_lag", labels) is not None, 20)
        first = batches[0]
        assert registry.get_sample_value("kafka_messages_consumed_total", labels) == first
        assert registry.get_sample_value("kafka_consumer_lag", labels) == 40 - first
    finally:
        await follower.stop()
