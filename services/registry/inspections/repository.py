from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from services.registry.models import (
    Inspection,
    InspectionResult,
    NoticeStatus,
    RectificationNotice,
    TechSystem,
    Unit,
)
from services.registry.repository import Repository


class InspectionRepository(Repository):
    async def add(self, row: Inspection | RectificationNotice) -> None:
        self.session.add(row)
        await self.session.flush()

    async def notice(self, notice_id: uuid.UUID, *, for_update: bool = False) -> RectificationNotice | None:
        stmt = select(RectificationNotice).where(RectificationNotice.id == notice_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def notices_for(self, inspection_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RectificationNotice]:
        rows = await self.session.scalars(
            select(RectificationNotice).where(RectificationNotice.inspection_id.in_(inspection_ids))
        )
        return {n.inspection_id: n for n in rows}

    async def latest_rules_check(self, unit_id: uuid.UUID) -> list[dict[str, Any]] | None:
        """What the unit's last record found of its management rules (None before any)."""
        found: list[dict[str, Any]] | None = await self.session.scalar(
            select(Inspection.management_rules)
            .where(Inspection.unit_id == unit_id, Inspection.management_rules.is_not(None))
            .order_by(Inspection.created_at.desc(), Inspection.id.desc())
            .limit(1)
        )
        return found

    async def for_system(self, system_id: uuid.UUID) -> Sequence[Inspection]:
        rows = await self.session.scalars(
            select(Inspection)
            .where(Inspection.system_id == system_id)
            .order_by(Inspection.inspected_on.desc(), Inspection.created_at.desc())
        )
        return rows.all()

    async def accepted_systems_with_last_check(
        self, only_unit: uuid.UUID | None
    ) -> Sequence[tuple[TechSystem, Unit, dt.date | None]]:
        """Systems in use (accepted), with the date of their last passed full check."""
        last = (
            select(Inspection.system_id, func.max(Inspection.inspected_on).label("last"))
            .where(Inspection.result == InspectionResult.PASSED)
            .group_by(Inspection.system_id)
            .subquery()
        )
        stmt = (
            select(TechSystem, Unit, last.c.last)
            .join(Unit, Unit.id == TechSystem.unit_id)
            .outerjoin(last, last.c.system_id == TechSystem.id)
            .where(TechSystem.acceptance_date.is_not(None))
        )
        if only_unit is not None:
            stmt = stmt.where(Unit.id == only_unit)
        rows = await self.session.execute(stmt)
        return [(s, u, d) for s, u, d in rows]

    async def open_notices(self, only_unit: uuid.UUID | None) -> Sequence[RectificationNotice]:
        stmt = select(RectificationNotice).where(RectificationNotice.status == NoticeStatus.OPEN)
        if only_unit is not None:
            stmt = stmt.where(RectificationNotice.unit_id == only_unit)
        return (await self.session.scalars(stmt.order_by(RectificationNotice.deadline))).all()
