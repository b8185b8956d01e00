"""The consumer helper commits offsets only after the handler (and its database commit) succeeded."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jifang.kafka import consume_batch, create_producer


async def test_a_failed_batch_is_read_again(bootstrap: str) -> None:
    topic, group = f"test.{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    for i in range(5):
        await producer.send_and_wait(topic, f"e{i}".encode(), key=b"k")
    await producer.stop()

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )

    async def failing(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        raise ConnectionError("database down")

    c = consumer()
    await c.start()
    try:
        got = 0
        for _ in range(20):
            try:
                got = await consume_batch(c, failing, timeout_ms=500)
            except ConnectionError:
                break
        assert got == 0
    finally:
        await c.stop()

    seen: list[bytes] = []

    async def storing(records: list[ConsumerRecord[bytes, bytes]]) -> None:
        seen.extend(r.value for r in records if r.value is not None)

    c = consumer()
    await c.start()
    try:
        for _ in range(20):
            await consume_batch(c, storing, timeout_ms=500)
            if len(seen) >= 5:
                break
    finally:
        await c.stop()
    assert seen == [f"e{i}".encode() for i in range(5)]  # nothing lost by the failed attempt
