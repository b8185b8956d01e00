"""A producer that does not block the pollers: messages wait in a bounded buffer and are
sent in batches; while the broker is down the buffer holds them, and what overflows is
dropped oldest-first, counted in a metric and logged, never silently."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter, Gauge

from jifang.kafka import stop_quietly
from jifang.runner import LongRunningService

log = logging.getLogger("jifang.publisher")


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class PublisherMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.sent = Counter(
            "kafka_messages_sent_total",
            "Messages acknowledged by the broker",
            ["service", "topic"],
            registry=registry,
        )
        self.send_errors = Counter(
            "kafka_send_errors_total", "Failed batch sends", ["service"], registry=registry
        ).labels(service)
        self.dropped = Counter(
            "kafka_messages_dropped_total",
            "Messages dropped because the buffer was full",
            ["service", "topic"],
            registry=registry,
        )
        self.depth = Gauge(
            "kafka_buffer_depth", "Messages waiting to be sent", ["service"], registry=registry
        ).labels(service)
        self.service = service
        self._topics: set[str] = set()

    def topic(self, topic: str) -> None:
        """Start a topic's counters at zero: a drop then shows as an increase, and dashboards
        and alerts find the series before the first one."""
        if topic not in self._topics:
            self._topics.add(topic)
            self.sent.labels(self.service, topic)
            self.dropped.labels(self.service, topic)


class BufferedPublisher(LongRunningService):
    name = "publisher"

    def __init__(
        self,
        producer_factory: Callable[[], AIOKafkaProducer],
        metrics: PublisherMetrics,
        *,
        capacity: int = 100_000,
        batch_size: int = 1_000,
    ) -> None:
        super().__init__()
        self.producer_factory = producer_factory
        self.metrics = metrics
        self.capacity = capacity
        self.batch_size = batch_size
        self._buffer: deque[Outgoing] = deque()
        self._producer: AIOKafkaProducer | None = None
        self._last_drop_log = 0.0
        self._inflight = 0
        self.dropped_total = 0

    def offer(self, message: Outgoing) -> None:
        """Queue a message; never blocks. When full, the oldest message makes room."""
        self.metrics.topic(message.topic)
        incoming: Outgoing | None = message
        if len(self._buffer) >= self.capacity:
            # The oldest message not already being sent makes room (an in-flight one may
            # well be delivered); if all are in flight, the new one is the one dropped.
            if self._inflight < len(self._buffer):
                old = self._buffer[self._inflight]
                del self._buffer[self._inflight]
            else:
                old, incoming = message, None
            self.dropped_total += 1
            self.metrics.dropped.labels(self.metrics.service, old.topic).inc()
            now = time.monotonic()
            if now - self._last_drop_log > 10:
                self._last_drop_log = now
                log.warning(
                    "publish buffer full: dropping oldest messages",
                    extra={"capacity": self.capacity, "dropped_total": self.dropped_total},
                )
        if incoming is not None:
            self._buffer.append(incoming)
        self.metrics.depth.set(len(self._buffer))
        if len(self._buffer) >= self.batch_size:
            self.wake()

    @property
    def depth(self) -> int:
        return len(self._buffer)

    async def run_once(self) -> float:
        if not self._buffer:
            return 0.05
        if self._producer is None:
            producer = self.producer_factory()
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                self.metrics.send_errors.inc()
                raise
            self._producer = producer
        batch = [self._buffer[i] for i in range(min(self.batch_size, len(self._buffer)))]
        self._inflight = len(batch)
        try:
            futures = [
                await self._producer.send(m.topic, m.value, key=m.key, headers=list(m.headers)) for m in batch
            ]
            await asyncio.gather(*futures)
        except Exception:
            self.metrics.send_errors.inc()
            await self._drop_producer()
            raise  # the batch stays in the buffer; the base backs off and retries
        finally:
            self._inflight = 0
        # What the broker acknowledged leaves the buffer: the batch is still at its head.
        for m in batch:
            self._buffer.popleft()
            self.metrics.sent.labels(self.metrics.service, m.topic).inc()
        self.metrics.depth.set(len(self._buffer))
        return 0 if self._buffer else 0.05

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await stop_quietly(producer)

    async def on_stop(self) -> None:
        await self._drop_producer()
