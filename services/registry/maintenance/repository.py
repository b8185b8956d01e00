"""Maintenance windows' SQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from services.registry.models import MaintenanceWindow
from services.registry.repository import Repository


class MaintenanceWindowRepository(Repository):
    async def get(self, window_id: uuid.UUID, *, for_update: bool = False) -> MaintenanceWindow | None:
        return await self.session.get(MaintenanceWindow, window_id, with_for_update=for_update)

    async def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        self.session.add(window)
        await self.session.flush()
        return window

    async def for_unit(
        self, unit_id: uuid.UUID, ending_after: dt.datetime | None
    ) -> Sequence[MaintenanceWindow]:
        stmt = select(MaintenanceWindow).where(MaintenanceWindow.unit_id == unit_id)
        if ending_after is not None:
            stmt = stmt.where(MaintenanceWindow.ends_at > ending_after)
        rows = await self.session.scalars(stmt.order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id))
        return rows.all()

    async def covering(
        self, device_ids: Sequence[uuid.UUID], start: dt.datetime, end: dt.datetime
    ) -> Sequence[MaintenanceWindow]:
        """The windows in force (not cancelled) on any of ``device_ids`` that overlap [start, end]."""
        rows = await self.session.scalars(
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.device_ids.overlap(list(device_ids)),
                MaintenanceWindow.cancelled_at.is_(None),
                MaintenanceWindow.starts_at <= end,
                MaintenanceWindow.ends_at > start,
            )
            .order_by(MaintenanceWindow.starts_at)
        )
        return rows.all()
