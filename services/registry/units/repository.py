from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from services.registry.models import Unit
from services.registry.repository import Repository, sorted_by, where_equal
from services.registry.units.schemas import UnitQuery


class UnitRepository(Repository):
    async def get(self, unit_id: uuid.UUID, *, for_update: bool = False) -> Unit | None:
        stmt = select(Unit).where(Unit.id == unit_id)
        if for_update:
            # Serialises changes per unit, which keeps the outbox order per unit.
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_by_uscc(self, uscc: str) -> Unit | None:
        """The active unit with this code (closed ones keep theirs in their history)."""
        stmt = select(Unit).where(Unit.uscc == uscc, Unit.closed_at.is_(None))
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_many_by_uscc(self, codes: Sequence[str], *, for_update: bool = False) -> dict[str, Unit]:
        stmt = select(Unit).where(Unit.uscc.in_(codes), Unit.closed_at.is_(None)).order_by(Unit.id)
        if for_update:
            stmt = stmt.with_for_update()
        rows = await self.session.scalars(stmt)
        return {u.uscc: u for u in rows}

    async def add(self, unit: Unit) -> Unit:
        self.session.add(unit)
        await self.session.flush()
        return unit

    async def search(
        self, query: UnitQuery, *, only_unit: uuid.UUID | None
    ) -> tuple[Sequence[Unit], int, bool]:
        stmt = where_equal(
            select(Unit),
            (Unit.id, only_unit),
            (Unit.district, query.district),
            (Unit.jurisdiction, query.jurisdiction),
        )
        if query.q:
            stmt = stmt.where(Unit.name.contains(query.q, autoescape=True))
        if query.status == "active":
            stmt = stmt.where(Unit.closed_at.is_(None))
        elif query.status == "closed":
            stmt = stmt.where(Unit.closed_at.is_not(None))
        return await self.page(stmt, sorted_by(Unit, query.sort), query)

    async def active_ids(self, jurisdiction: str | None = None) -> Sequence[uuid.UUID]:
        """Every unit the platform still judges (not closed), of one jurisdiction if given."""
        stmt = select(Unit.id).where(Unit.closed_at.is_(None)).order_by(Unit.id)
        if jurisdiction is not None:
            stmt = stmt.where(Unit.jurisdiction == jurisdiction)
        return (await self.session.scalars(stmt)).all()
