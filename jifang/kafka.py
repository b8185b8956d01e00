"""Kafka producer and consumer helpers (aiokafka over TCP, as in production)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from jifang.topics import TopicSpec

log = logging.getLogger("jifang.kafka")


def create_producer(
    bootstrap_servers: str,
    *,
    enable_idempotence: bool,
    compression_type: str | None = "gzip",
    client_id: str = "jifang",
    request_timeout_ms: int = 15_000,
) -> AIOKafkaProducer:
    # Idempotence is a setting: Apache Kafka grants it, the local Tansu refuses InitProducerId.
    # Either way every event carries its own id and consumers deduplicate on it.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=enable_idempotence,
        compression_type=compression_type,
        linger_ms=5,
        request_timeout_ms=request_timeout_ms,
    )


async def stop_quietly(producer: AIOKafkaProducer, timeout_s: float = 5.0) -> None:
    """Stop a producer that may be stuck on a dead broker, without raising."""
    try:
        await asyncio.wait_for(producer.stop(), timeout_s)
    except Exception:
        log.warning("producer did not stop cleanly")


async def ensure_topics(bootstrap_servers: str, topics: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="jifang-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if not missing:
            return []
        # Created concurrently by another service: fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [
                    NewTopic(
                        t.name,
                        t.partitions,
                        t.replication_factor_local,
                        topic_configs={"retention.ms": str(t.retention_ms)},
                    )
                    for t in missing
                ]
            )
        return [t.name for t in missing]
    finally:
        await admin.close()


async def broker_bootstrap_check(bootstrap_servers: str) -> None:
    """Raise unless the broker answers a metadata request (readiness)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    try:
        await client.bootstrap()
    finally:
        await client.close()


RecordHandler = Callable[[list[ConsumerRecord[bytes, bytes]]], Awaitable[None]]


async def consume_batch(consumer: AIOKafkaConsumer, handler: RecordHandler, timeout_ms: int = 1000) -> int:
    """Hand one batch to ``handler`` and commit the offsets only after it returns.

    The handler commits its database transaction itself; if it raises, the
    offsets stay where they were and the batch is read again (consumers
    deduplicate on the event id).
    """
    batches = await consumer.getmany(timeout_ms=timeout_ms)
    records = [r for rs in batches.values() for r in rs]
    if not records:
        return 0
    await handler(records)
    await consumer.commit()
    return len(records)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition a keyed message goes to: the default partitioner of the Java client and
    of aiokafka (murmur2), so a consumer knows where a key lives without reading it."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions
