"""Pruning by policy: check results older than the policy keeps go with their monthly
partitions; this month's and next month's partitions are made ahead; nothing else is pruned."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from services.retention.loops import ResultPruning
from services.retention.models import Observation
from services.retention.partitions import PartitionRepository, next_month


async def test_old_results_are_dropped_by_month(retention_maker: async_sessionmaker[AsyncSession]) -> None:
    today = dt.datetime.now(dt.UTC).date()
    old = dt.date(today.year - 3, 1, 1)
    recent = today.replace(day=1) - dt.timedelta(days=40)  # a month or two ago: within 400 days
    async with session_scope(retention_maker) as session:
        await PartitionRepository(session).ensure({old, recent})
        rows = [
            {
                "check_id": uuid.uuid4(),
                "checked_at": dt.datetime.combine(day, dt.time(12), dt.UTC),
                "recorder_id": uuid.uuid4(),
                "recording_token": "Recording_1",
                "unit_id": uuid.uuid4(),
                "outcome": "cannot_verify",
                "reason": "test",
            }
            for day in (old, recent)
        ]
        await session.execute(insert(Observation), rows)
    pruning = ResultPruning(retention_maker, keep_days=400)
    await pruning.run_once()
    assert pruning.dropped == [f"observations_{old:%Y%m}"]
    async with session_scope(retention_maker) as session:
        months = set((await PartitionRepository(session).existing()).values())
        kept = await session.scalar(
            select(func.count()).select_from(Observation).where(Observation.reason == "test")
        )
        # The other tables of the schema are untouched by pruning.
        tables = set(
            await session.scalars(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'retention' "
                    "AND tablename NOT LIKE 'observations_%'"
                )
            )
        )
    assert old not in months and {recent.replace(day=1), today.replace(day=1), next_month(today)} <= months
    assert kept == 1
    assert {"channels", "devices", "units", "outbox", "rules"} <= tables
