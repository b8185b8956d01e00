from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.db import count_up_to
from services.registry.models import Unit
from services.registry.pagination import COUNT_CAP

UNIT_SORTS = {
    "name": Unit.name,
    "created_at": Unit.created_at,
    "district": Unit.district,
}


class UnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, unit_id: uuid.UUID, *, for_update: bool = False) -> Unit | None:
        stmt = select(Unit).where(Unit.id == unit_id)
        if for_update:
            # Serialises changes per unit, which keeps the outbox order per unit.
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_by_uscc(self, uscc: str) -> Unit | None:
        return (await self.session.scalars(select(Unit).where(Unit.uscc == uscc))).one_or_none()

    async def get_many_by_uscc(self, codes: Sequence[str], *, for_update: bool = False) -> dict[str, Unit]:
        stmt = select(Unit).where(Unit.uscc.in_(codes)).order_by(Unit.id)
        if for_update:
            stmt = stmt.with_for_update()
        rows = await self.session.scalars(stmt)
        return {u.uscc: u for u in rows}

    async def add(self, unit: Unit) -> Unit:
        self.session.add(unit)
        await self.session.flush()
        return unit

    def _filtered(
        self,
        *,
        only_unit: uuid.UUID | None,
        district: str | None,
        jurisdiction: str | None,
        q: str | None,
    ) -> Select[Unit]:
        stmt = select(Unit)
        if only_unit is not None:
            stmt = stmt.where(Unit.id == only_unit)
        if district:
            stmt = stmt.where(Unit.district == district)
        if jurisdiction:
            stmt = stmt.where(Unit.jurisdiction == jurisdiction)
        if q:
            stmt = stmt.where(Unit.name.contains(q, autoescape=True))
        return stmt

    async def search(
        self,
        *,
        only_unit: uuid.UUID | None,
        district: str | None,
        jurisdiction: str | None,
        q: str | None,
        sort: str,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Unit], int, bool]:
        stmt = self._filtered(only_unit=only_unit, district=district, jurisdiction=jurisdiction, q=q)
        total, capped = await count_up_to(self.session, stmt, COUNT_CAP)
        column = UNIT_SORTS[sort.lstrip("-")]
        order = column.desc() if sort.startswith("-") else column.asc()
        rows = await self.session.scalars(stmt.order_by(order, Unit.id).limit(limit).offset(offset))
        return rows.all(), total, capped

    async def all_ids(self) -> Sequence[uuid.UUID]:
        return (await self.session.scalars(select(Unit.id).order_by(Unit.id))).all()
