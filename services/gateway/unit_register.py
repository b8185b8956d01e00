"""Each unit's register of the uses of its footage: its SQL, on the gateway's one hash chain
(:mod:`services.gateway.chain`), one chain per unit. Appends are serialized per unit by the
chain's lock, held until the request's transaction commits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.chain import ChainReport, HashChain
from services.gateway.models import UnitUseRecord

UNIT_USE_CHAIN = HashChain("unit_use_register", chain_key="unit_id")


class UnitUseRegister:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, fields: dict[str, Any]) -> UnitUseRecord:
        """The record as the database wrote it: numbered, timed and linked by its trigger."""
        stmt = insert(UnitUseRecord).values(**fields, prev_hash="", hash="").returning(UnitUseRecord)
        record = (await self.session.scalars(stmt)).one()
        return record

    async def search(
        self,
        unit_id: uuid.UUID,
        since: dt.datetime | None,
        until: dt.datetime | None,
        limit: int,
        offset: int,
    ) -> tuple[list[UnitUseRecord], int]:
        """One unit's records registered in the period, newest first, and how many there are."""
        stmt = select(UnitUseRecord).where(UnitUseRecord.unit_id == unit_id)
        if since is not None:
            stmt = stmt.where(UnitUseRecord.recorded_at >= since)
        if until is not None:
            stmt = stmt.where(UnitUseRecord.recorded_at < until)
        total = int(await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        rows = await self.session.scalars(stmt.order_by(UnitUseRecord.seq.desc()).limit(limit).offset(offset))
        return list(rows), total

    async def has_records(self, unit_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(select(select(UnitUseRecord.seq).filter_by(unit_id=unit_id).exists()))
        )

    async def verify(self, unit_id: uuid.UUID) -> ChainReport:
        return await UNIT_USE_CHAIN.verify(self.session, unit_id)
