"""Group commit of the use register: what queues while a record is being written goes into the
next statement together; each call-up still learns its number only once its record is durable,
in the order the call-ups came; one record the database refuses costs no one else a grant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy.exc as sa_exc
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jifang.db import create_engine, create_sessionmaker
from services.gateway.register import UseRegister
from services.gateway.writer import RegisterWriter, WriterMetrics
from tests.conftest import metric_value

LOCK = "hashtext('gateway.use_register')"  # the key the register's trigger locks


def record(officer: str) -> dict[str, Any]:
    return {"officer": officer, "role": "police_operator", "mode": "live", "outcome": "refused"}


@pytest.fixture
async def engine(migrated: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated, 4, "writer-test")
    yield engine
    await engine.dispose()


async def stalled(engine: AsyncEngine, appends: list[dict[str, Any]], writer: RegisterWriter) -> list[Any]:
    """The register's lock held elsewhere (as by a commit stuck on a slow disk) while a first
    call-up and then the others arrive; released; what each call-up got."""
    async with engine.connect() as blocker:
        await blocker.execute(text(f"SELECT pg_advisory_lock({LOCK})"))
        first = asyncio.create_task(writer.append(appends[0]))
        await asyncio.sleep(0.3)  # its statement waits for the lock in the database
        rest = [asyncio.create_task(writer.append(a)) for a in appends[1:]]
        await asyncio.sleep(0.3)
        assert not any(t.done() for t in (first, *rest))  # nothing answered before it is durable
        await blocker.execute(text(f"SELECT pg_advisory_unlock({LOCK})"))
    return await asyncio.gather(first, *rest, return_exceptions=True)


async def test_what_queues_during_a_stall_is_written_together(engine: AsyncEngine) -> None:
    metrics = CollectorRegistry()
    writer = RegisterWriter(
        create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT")),
        metrics=WriterMetrics(metrics),
    )
    results = await stalled(engine, [record(f"officer-{i}") for i in range(31)], writer)
    seqs = [seq for seq, _ in results]
    assert seqs == list(range(seqs[0], seqs[0] + 31))  # numbered in the order they came
    exposition = generate_latest(metrics).decode()
    # Two statements for 31 call-ups: the first alone, the thirty that queued behind it together.
    assert metric_value(exposition, "gateway_register_batch_records_count") == 2
    assert metric_value(exposition, "gateway_register_batch_records_sum") == 31
    async with create_sessionmaker(engine)() as session:
        report = await UseRegister(session).verify()
        stored = (
            await session.execute(
                text("SELECT seq, officer FROM gateway.use_register WHERE seq = ANY(:s) ORDER BY seq"),
                {"s": seqs},
            )
        ).all()
    assert report.intact
    assert [officer for _, officer in stored] == [f"officer-{i}" for i in range(31)]


async def test_a_refused_record_costs_no_one_else_a_grant(engine: AsyncEngine) -> None:
    writer = RegisterWriter(create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT")))
    too_long = "x" * 300  # no officer's subject is this long: the column refuses it
    results = await stalled(engine, [record("a"), record("b"), record(too_long), record("c")], writer)
    assert isinstance(results[2], sa_exc.DBAPIError)
    assert "too long" in str(results[2])
    good = [r for i, r in enumerate(results) if i != 2]
    assert all(isinstance(r, tuple) for r in good)
    assert [seq for seq, _ in good] == sorted(seq for seq, _ in good)
