"""Transactional outbox: events are written in the same transaction as the change.

A service adds an :class:`OutboxEventMixin` table to its own schema and calls
:func:`enqueue` while it flushes its change; if the transaction rolls back,
the event never existed. :class:`OutboxRelay` publishes committed events in
insertion order and marks them published only after the broker acknowledged
them; while the broker is down they wait in the table, nothing is lost.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    LargeBinary,
    String,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from jifang.kafka import stop_quietly
from jifang.runner import LongRunningService


class OutboxEventMixin:
    """Columns of a service's outbox table."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # The relay's scan: unpublished rows in insertion order.
        return (
            Index(
                f"ix_{cls.__tablename__}_unpublished",  # type: ignore[attr-defined]
                "id",
                postgresql_where=text("published_at IS NULL"),
            ),
        )


def enqueue(
    session: AsyncSession,
    model: type[OutboxEventMixin],
    *,
    topic: str,
    key: str,
    event_type: str,
    payload: bytes,
    event_id: uuid.UUID,
) -> None:
    row_type: Any = model  # a mapped subclass of the mixin
    session.add(
        row_type(
            event_id=event_id,
            topic=topic,
            key=key,
            event_type=event_type,
            payload=payload,
        )
    )


class OutboxMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.published = Counter(
            "outbox_events_published_total",
            "Outbox events acknowledged by the broker",
            ["service"],
            registry=registry,
        ).labels(service)
        self.failures = Counter(
            "outbox_publish_failures_total",
            "Failed attempts to publish an outbox batch",
            ["service"],
            registry=registry,
        ).labels(service)
        self.pending = Gauge(
            "outbox_events_pending",
            "Committed events not yet acknowledged by the broker",
            ["service"],
            registry=registry,
        ).labels(service)


class OutboxRelay(LongRunningService):
    """Publishes a service's outbox. One relay at a time holds the advisory lock,
    which keeps the publication order equal to the commit order per key."""

    name = "outbox-relay"

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: type[OutboxEventMixin],
        producer_factory: Any,
        metrics: OutboxMetrics,
        batch_size: int = 500,
        poll_interval_s: float = 0.2,
        keep_published_s: float = 7 * 24 * 3600,
        prune_every_s: float = 600,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.model = model
        self.producer_factory = producer_factory
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        table = model.__table__  # type: ignore[attr-defined]
        self._lock_key = zlib.crc32(str(table).encode())
        self._producer: AIOKafkaProducer | None = None
        # Published events have done their job; they are kept a while for inspection only.
        self.keep_published_s = keep_published_s
        self.prune_every_s = prune_every_s
        self._last_prune = 0.0

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer: AIOKafkaProducer = self.producer_factory()
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await stop_quietly(producer)

    async def run_once(self) -> float:
        model = self.model
        async with self.sessionmaker() as session, session.begin():
            got = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
            if not got:
                return self.poll_interval_s * 5  # another relay is publishing
            rows = (
                await session.scalars(
                    select(model)
                    .where(model.published_at.is_(None))
                    .order_by(model.id)
                    .limit(self.batch_size)
                )
            ).all()
            pending = await session.scalar(
                select(func.count()).select_from(model).where(model.published_at.is_(None))
            )
            self.metrics.pending.set(pending or 0)
            if not rows:
                await self._prune(session)
                return self.poll_interval_s
            try:
                producer = await self._ensure_producer()
                futures = [
                    await producer.send(
                        row.topic,
                        value=row.payload,
                        key=row.key.encode(),
                        headers=[
                            ("event-id", str(row.event_id).encode()),
                            ("event-type", row.event_type.encode()),
                        ],
                    )
                    for row in rows
                ]
                await asyncio.gather(*futures)
            except Exception:
                self.metrics.failures.inc()
                await self._drop_producer()
                raise
            await session.execute(
                update(model).where(model.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC))
            )
        self.metrics.published.inc(len(rows))
        self.metrics.pending.dec(len(rows))
        # A full batch means more is waiting: go again at once.
        return 0 if len(rows) == self.batch_size else self.poll_interval_s

    async def _prune(self, session: AsyncSession) -> None:
        if time.monotonic() - self._last_prune < self.prune_every_s:
            return
        self._last_prune = time.monotonic()
        cutoff = datetime.now(UTC) - timedelta(seconds=self.keep_published_s)
        model = self.model
        await session.execute(
            delete(model).where(model.published_at.is_not(None), model.published_at < cutoff)
        )

    async def on_stop(self) -> None:
        await self._drop_producer()
