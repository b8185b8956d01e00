"""Following a topic in a consumer group: the one loop of every service that applies another
service's events to its own tables. A batch is applied in one transaction by the subclass;
``consume_batch`` commits the offsets only after it returned (after the database commit)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord

from jifang.kafka import consume_batch
from jifang.runner import LongRunningService


class TopicFollower(LongRunningService):
    name = "topic-follower"

    def __init__(
        self,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        topics: list[str],
        listener: Callable[[AIOKafkaConsumer], ConsumerRebalanceListener] | None = None,
    ) -> None:
        super().__init__()
        self.consumer_factory = consumer_factory
        self.topics = topics
        self.listener = listener
        self._consumer: AIOKafkaConsumer | None = None

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
        await consume_batch(self._consumer, self.apply, timeout_ms=500)
        return 0

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
