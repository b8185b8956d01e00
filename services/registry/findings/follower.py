"""Another service's events applied to the registry's findings: a batch in one transaction,
the offsets committed after it, each event once (its id kept in ``applied_events``: a
redelivered event changes nothing)."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import first_time, session_scope
from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.policy import PolicyBook
from jifang.v1 import common_pb2
from services.registry.clock import utc_now
from services.registry.models import AppliedEvent


class _Event(Protocol):
    @property
    def meta(self) -> common_pb2.EventMeta: ...


E = TypeVar("E", bound=_Event)


class FindingsFollower(TopicFollower, Generic[E]):
    topic: ClassVar[str]

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        book: PolicyBook,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__(consumer_factory, [self.topic], metrics=metrics)
        self.sessionmaker = sessionmaker
        self.book = book

    @staticmethod
    @abstractmethod
    def parse(value: bytes) -> E:
        """The event in a record's value."""

    @abstractmethod
    async def handle(self, session: AsyncSession, event: E, now: datetime) -> None:
        """Apply one event, first seen, in the batch's transaction."""

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        async with session_scope(self.sessionmaker) as session:
            for record in records:
                if record.value is None:
                    continue
                event = self.parse(record.value)
                if await first_time(session, AppliedEvent, uuid.UUID(event.meta.event_id)):
                    await self.handle(session, event, utc_now())
