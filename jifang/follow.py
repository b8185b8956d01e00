"""Following a topic in a consumer group: the one loop of every service that applies another
service's events to its own tables. A batch is applied in one transaction by the subclass;
``consume_batch`` commits the offsets only after it returned (after the database commit)."""

from __future__ import annotations

import copy
import time
from abc import abstractmethod
from collections import Counter as Tally
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord
from aiokafka.errors import IllegalStateError
from prometheus_client import CollectorRegistry, Counter, Gauge

from jifang.kafka import consume_batch
from jifang.runner import LongRunningService


class ConsumerMetrics:
    """How far a service's consumer group is behind its topics: per replica the partitions it is
    assigned, so that the sum over a group's replicas is the group's lag."""

    def __init__(self, registry: CollectorRegistry, service: str, group: str) -> None:
        self.lag = Gauge(
            "kafka_consumer_lag",
            "Messages on the topic not yet applied by this replica (its assigned partitions)",
            ["service", "group", "topic"],
            registry=registry,
        )
        self.consumed = Counter(
            "kafka_messages_consumed_total",
            "Messages applied and committed",
            ["service", "group", "topic"],
            registry=registry,
        )
        self.service, self.group = service, group

    def for_group(self, group: str) -> ConsumerMetrics:
        """The same series for another consumer group of the service (a registry holds each
        metric once)."""
        other = copy.copy(self)
        other.group = group
        return other


class TopicFollower(LongRunningService):
    name = "topic-follower"
    lag_every_s = 5.0  # the lag gauge is refreshed this often, not per batch

    def __init__(
        self,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        topics: list[str],
        listener: Callable[[AIOKafkaConsumer], ConsumerRebalanceListener] | None = None,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__()
        self.consumer_factory = consumer_factory
        self.topics = topics
        self.listener = listener
        self.metrics = metrics
        if metrics is not None:
            for topic in topics:  # from zero: "nothing applied yet" is a rate of 0, not no data
                metrics.consumed.labels(metrics.service, metrics.group, topic)
        self._consumer: AIOKafkaConsumer | None = None
        self._lag_due = 0.0

    @abstractmethod
    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply one batch in one transaction (raise to have it redelivered)."""

    async def run_once(self) -> float:
        if self._consumer is None:
            consumer = self.consumer_factory()
            await consumer.start()
            if self.listener is None:
                consumer.subscribe(self.topics)
            else:
                consumer.subscribe(self.topics, listener=self.listener(consumer))
            self._consumer = consumer
        if self.metrics is None:
            await consume_batch(self._consumer, self.apply, timeout_ms=500)
            return 0
        applied: Tally[str] = Tally()

        async def counted(records: list[ConsumerRecord[bytes, bytes]]) -> None:
            await self.apply(records)
            applied.update(r.topic for r in records)

        await consume_batch(self._consumer, counted, timeout_ms=500)
        for topic, n in applied.items():  # counted once committed
            self.metrics.consumed.labels(self.metrics.service, self.metrics.group, topic).inc(n)
        if time.monotonic() >= self._lag_due:
            await self._measure_lag(self._consumer, self.metrics)
            self._lag_due = time.monotonic() + self.lag_every_s
        return 0

    async def _measure_lag(self, consumer: AIOKafkaConsumer, metrics: ConsumerMetrics) -> None:
        lag = dict.fromkeys(self.topics, 0)
        for tp in list(consumer.assignment()):
            try:
                end = consumer.highwater(tp)  # known once a fetch for the partition returned
                if end is None:
                    continue
                position = await consumer.position(tp)
            except (IllegalStateError, AssertionError):
                continue  # revoked meanwhile by a rebalance: another replica counts it now
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, end - position)
        for topic, n in lag.items():
            metrics.lag.labels(metrics.service, metrics.group, topic).set(n)

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
