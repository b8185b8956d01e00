from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update

from services.registry.devices.schemas import DeviceQuery
from services.registry.models import Device, DeviceKind, DeviceReplacement, DeviceStatus
from services.registry.repository import Repository, sorted_by, where_equal


class DeviceRepository(Repository):
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

    async def add_replacement(self, replacement: DeviceReplacement) -> None:
        self.session.add(replacement)
        await self.session.flush()

    async def set_district(self, unit_id: uuid.UUID, district: str) -> None:
        await self.session.execute(update(Device).where(Device.unit_id == unit_id).values(district=district))

    async def delete(self, device: Device) -> None:
        await self.session.delete(device)
        await self.session.flush()

    async def search(
        self, query: DeviceQuery, *, only_unit: uuid.UUID | None
    ) -> tuple[Sequence[Device], int, bool]:
        stmt = where_equal(
            select(Device),
            (Device.unit_id, only_unit),
            (Device.unit_id, query.unit_id),
            (Device.kind, query.kind),
            (Device.status, query.status),
            (Device.district, query.district),
        )
        if query.q:
            stmt = stmt.where(Device.name.contains(query.q, autoescape=True))
        return await self.page(stmt, sorted_by(Device, query.sort), query)

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

    async def sealed_after(self, after: uuid.UUID | None, limit: int) -> Sequence[Device]:
        """Devices with credentials, by id after ``after``, locked for update (a key rotation
        seals them again)."""
        stmt = select(Device).where(Device.password_ciphertext.is_not(None))
        if after is not None:
            stmt = stmt.where(Device.id > after)
        stmt = stmt.order_by(Device.id).limit(limit).with_for_update()
        return (await self.session.scalars(stmt)).all()
