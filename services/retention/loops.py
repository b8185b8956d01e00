"""Retention's long-running loops: the daily check spread over the day, the gauges, and the
pruning of old check results by policy."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.runner import LongRunningService
from services.retention.checks import RetentionChecker, RetentionMetrics
from services.retention.observations import ObservationRepository
from services.retention.partitions import PartitionRepository, next_month
from services.retention.repository import FleetRepository

log = logging.getLogger("retention.loops")


class DailyCheck(LongRunningService):
    """Checks each recorder once per interval at its own moment (a hash of its id spreads a
    fleet over the day), a batch of those whose turn has come at a time."""

    name = "daily-check"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        checker: RetentionChecker,
        *,
        interval_s: float,
        first_spread_s: float = 600.0,
        batch: int = 200,
        idle_s: float = 10.0,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.checker = checker
        self.interval_s = interval_s
        self.first_spread_s = min(first_spread_s, interval_s)
        self.batch = batch
        self.idle_s = idle_s

    async def run_once(self) -> float:
        now = datetime.now(UTC)
        async with session_scope(self.sessionmaker) as session:
            fleet = FleetRepository(session)
            await fleet.spread_new_recorders(now, self.first_spread_s)
            due = await fleet.recorders_due(now, self.batch)
        if not due:
            return self.idle_s
        started = time.monotonic()
        readings = await self.checker.read(due)
        async with session_scope(self.sessionmaker) as session:
            await self.checker.record(session, readings, self.interval_s)
        self.checker.metrics.round_duration.set(time.monotonic() - started)
        return 0 if len(due) == self.batch else self.idle_s


class RetentionGauges(LongRunningService):
    """Channels per district, category and verdict, recomputed from the tables."""

    name = "retention-gauges"

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], metrics: RetentionMetrics, every_s: float
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.metrics = metrics
        self.every_s = every_s

    async def run_once(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            counts = await ObservationRepository(session).counts_by_district_category()
        self.metrics.set_counts(counts)
        return self.every_s


class Rejudgement(LongRunningService):
    """Every active channel judged again from its stored spans, hourly: a recently accepted
    system falls due on its date, not at its recorder's next check."""

    name = "rejudgement"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], every_s: float = 3600.0) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.every_s = every_s

    async def run_once(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            changed = await ObservationRepository(session).rejudge()
        if changed:
            log.info("channels re-judged", extra={"changed": changed})
        return self.every_s


class ResultPruning(LongRunningService):
    """Keeps partitions ready for this month and the next, and drops those whose whole month
    is older than the policy keeps (check results only: findings and the gateway's use
    register live elsewhere and are never pruned)."""

    name = "result-pruning"

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], keep_days: int, every_s: float = 3600.0
    ):
        super().__init__()
        self.sessionmaker = sessionmaker
        self.keep_days = keep_days
        self.every_s = every_s
        self.dropped: list[str] = []

    async def run_once(self) -> float:
        today = datetime.now(UTC).date()
        async with session_scope(self.sessionmaker) as session:
            partitions = PartitionRepository(session)
            await partitions.ensure({today, next_month(today)})
            dropped = await partitions.drop_before(today - timedelta(days=self.keep_days))
        if dropped:
            self.dropped.extend(dropped)
            log.info(
                "check results pruned by policy", extra={"partitions": dropped, "keep_days": self.keep_days}
            )
        return self.every_s
