"""Group commit for the use register: the records of call-ups that arrive while a batch is
being written go, all together, into the next one: one statement, one hold of the register's
lock, one flush of the write-ahead log for the lot.

The register's chain needs one append at a time, and each append holds the register's lock
until its commit is on disk. Written one by one, a stall of the disk or a backend descheduled
on a busy host holds up every call-up queued behind it, each then paying its own lock and
flush; written in batches, a stall is paid once by the queue. No call-up waits for a batch to
fill: a batch is whatever has queued by the time the last one is durable (one record when
the register is idle). A call-up still gets its grant only once its record is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

import sqlalchemy.exc as sa_exc
from prometheus_client import CollectorRegistry, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.errors import database_unreachable
from services.gateway.register import UseRegister

log = logging.getLogger("gateway.register")
Appended = tuple[int, str]  # the record's number and hash


class WriterMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.batch = Histogram(
            "gateway_register_batch_records",
            "Records written to the use register per statement (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=registry,
        )


class RegisterWriter:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        max_batch: int = 200,
        metrics: WriterMetrics | None = None,
    ) -> None:
        """``sessionmaker``: sessions in autocommit, so that a batch's one INSERT is its own
        transaction (the lock is held for that statement and its commit only)."""
        self.sessionmaker = sessionmaker
        self.max_batch = max_batch
        self.metrics = metrics
        self._queue: deque[tuple[dict[str, Any], asyncio.Future[Appended]]] = deque()
        self._writing: asyncio.Task[None] | None = None

    async def append(self, fields: dict[str, Any]) -> Appended:
        """Once the record is durable: its number and hash. A caller that gives up meanwhile
        does not take its record back: the attempt is a fact the register keeps."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.append((fields, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.max_batch))]
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict[str, Any], asyncio.Future[Appended]]]) -> None:
        try:
            async with self.sessionmaker() as session:
                appended = await UseRegister(session).append([fields for fields, _ in batch])
        except Exception as exc:
            if len(batch) > 1 and _refused_a_record(exc):
                # One record the database refuses must not cost the others their grant.
                for one in batch:
                    await self._write([one])
            else:  # the database is down: every call-up waiting gets 503, none a grant
                _fail(batch, exc)
            return
        if self.metrics is not None:
            self.metrics.batch.observe(len(batch))
        for (_, future), result in zip(batch, appended, strict=True):
            if not future.done():
                future.set_result(result)

    async def close(self) -> None:
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)


def _refused_a_record(exc: Exception) -> bool:
    """The database answered and refused the statement (a value it cannot hold), rather than
    being unreachable (then no record of the batch could be written either)."""
    return isinstance(exc, sa_exc.DBAPIError) and not database_unreachable(exc)


def _fail(batch: list[tuple[dict[str, Any], asyncio.Future[Appended]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
            future.exception()  # retrieved: a caller that gave up meanwhile is no error
