from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.db import count_up_to
from services.registry.models import Device, DeviceKind, DeviceStatus
from services.registry.pagination import COUNT_CAP

DEVICE_SORTS = {
    "created_at": Device.created_at,
    "name": Device.name,
    "status": Device.status,
}


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, device_id: uuid.UUID, *, for_update: bool = False) -> Device | None:
        stmt = select(Device).where(Device.id == device_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_many(self, device_ids: Sequence[uuid.UUID]) -> Sequence[Device]:
        return (await self.session.scalars(select(Device).where(Device.id.in_(device_ids)))).all()

    async def by_subject(self, subject: str) -> Device | None:
        stmt = select(Device).where(Device.enrolled_subject == subject).with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def channels(self, nvr_id: uuid.UUID) -> Sequence[Device]:
        rows = await self.session.scalars(
            select(Device).where(Device.parent_id == nvr_id).order_by(Device.channel_no)
        )
        return rows.all()

    async def add(self, device: Device) -> Device:
        self.session.add(device)
        await self.session.flush()
        return device

    async def set_district(self, unit_id: uuid.UUID, district: str) -> None:
        await self.session.execute(update(Device).where(Device.unit_id == unit_id).values(district=district))

    async def delete(self, device: Device) -> None:
        await self.session.delete(device)
        await self.session.flush()

    def _filtered(self, filters: dict[str, Any]) -> Select[Device]:
        stmt = select(Device)
        if filters.get("unit_id") is not None:
            stmt = stmt.where(Device.unit_id == filters["unit_id"])
        if filters.get("kind") is not None:
            stmt = stmt.where(Device.kind == filters["kind"])
        if filters.get("status") is not None:
            stmt = stmt.where(Device.status == filters["status"])
        if filters.get("district"):
            stmt = stmt.where(Device.district == filters["district"])
        if filters.get("q"):
            stmt = stmt.where(Device.name.contains(filters["q"], autoescape=True))
        return stmt

    async def search(
        self, *, filters: dict[str, Any], sort: str, limit: int, offset: int
    ) -> tuple[Sequence[Device], int, bool]:
        stmt = self._filtered(filters)
        total, capped = await count_up_to(self.session, stmt, COUNT_CAP)
        column = DEVICE_SORTS[sort.lstrip("-")]
        order = column.desc() if sort.startswith("-") else column.asc()
        id_order = Device.id.desc() if sort.startswith("-") else Device.id.asc()
        rows = await self.session.scalars(stmt.order_by(order, id_order).limit(limit).offset(offset))
        return rows.all(), total, capped

    async def heartbeat_overdue(self, now: Any) -> Sequence[Device]:
        """Enrolled NVRs online whose last heartbeat is older than 3 intervals."""
        rows = await self.session.scalars(
            select(Device)
            .where(
                Device.kind == DeviceKind.NVR,
                Device.status == DeviceStatus.ONLINE,
                Device.heartbeat_interval_s.is_not(None),
                Device.last_heartbeat_at
                < now - func.make_interval(0, 0, 0, 0, 0, 0, Device.heartbeat_interval_s * 3),
            )
            .with_for_update(skip_locked=True)
        )
        return rows.all()

    async def count_by_status(self) -> list[tuple[str, str, int]]:
        rows = await self.session.execute(
            select(Device.kind, Device.status, func.count()).group_by(Device.kind, Device.status)
        )
        return [(k.value, s.value, n) for k, s, n in rows]
