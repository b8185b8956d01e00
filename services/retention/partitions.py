"""Monthly partitions of the observations: made ahead of need, dropped by policy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


class PartitionRepository:
    """Monthly partitions of ``observations`` (UTC months): made ahead of need, dropped when
    their whole month is older than the policy keeps. Only this table is ever pruned."""

    TABLE = "observations"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ensure(self, months: set[dt.date]) -> list[str]:
        """Create the partitions of these months (first days) if missing; their names."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('retention.partitions'))"))
        names = []
        for first in sorted(month_start(m) for m in months):
            name = f"{self.TABLE}_{first:%Y%m}"
            await self.session.execute(
                text(
                    f'CREATE TABLE IF NOT EXISTS retention."{name}" PARTITION OF retention.{self.TABLE} '
                    f"FOR VALUES FROM ('{first.isoformat()} 00:00:00+00') "
                    f"TO ('{next_month(first).isoformat()} 00:00:00+00')"
                )
            )
            names.append(name)
        return names

    async def existing(self) -> dict[str, dt.date]:
        """Partition name -> its month, from the catalogue."""
        rows = await self.session.execute(
            text(
                "SELECT c.relname FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                "JOIN pg_namespace n ON n.oid = p.relnamespace "
                "WHERE n.nspname = 'retention' AND p.relname = :table"
            ),
            {"table": self.TABLE},
        )
        out = {}
        for (name,) in rows:
            suffix = name.removeprefix(f"{self.TABLE}_")
            if len(suffix) == 6 and suffix.isdigit():
                out[name] = dt.date(int(suffix[:4]), int(suffix[4:]), 1)
        return out

    async def drop_before(self, cutoff: dt.date) -> list[str]:
        """Drop the partitions whose whole month ends on or before ``cutoff``."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('retention.partitions'))"))
        dropped = []
        for name, first in sorted((await self.existing()).items()):
            if next_month(first) <= cutoff:
                await self.session.execute(text(f'DROP TABLE retention."{name}"'))
                dropped.append(name)
        return dropped
