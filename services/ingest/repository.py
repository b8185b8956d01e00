from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import all_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.db import first_time
from services.ingest.models import AppliedEvent, WatchedDevice


class PollTarget(NamedTuple):
    """What the poller needs of a watched device (plain rows: no ORM objects for a fleet)."""

    device_id: uuid.UUID
    unit_id: uuid.UUID
    district: str
    jurisdiction: str
    onvif_address: str | None
    ptz_preset: str | None


class WatchedDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, event_id: uuid.UUID) -> bool:
        """Record an event id; False if it was applied before (a redelivery)."""
        return await first_time(self.session, AppliedEvent, event_id)

    async def upsert(self, values: dict[str, Any]) -> None:
        await self.upsert_many([values])

    async def upsert_many(self, rows: Sequence[dict[str, Any]], chunk: int = 1000) -> None:
        """Insert or update devices, a chunk per statement (a fleet at start-up is one pass)."""
        for i in range(0, len(rows), chunk):
            part = [{**r, "removed": False} for r in rows[i : i + chunk]]
            stmt = insert(WatchedDevice).values(part)
            stmt = stmt.on_conflict_do_update(
                index_elements=[WatchedDevice.device_id],
                set_={
                    **{k: stmt.excluded[k] for k in part[0] if k != "device_id"},
                    "updated_at": func.now(),
                },
            )
            await self.session.execute(stmt)

    async def mark_removed_except(self, known: set[uuid.UUID]) -> int:
        """Mark every active device not in ``known`` removed; how many were."""
        result = await self.session.execute(
            update(WatchedDevice)
            .where(
                WatchedDevice.removed.is_(False),
                WatchedDevice.device_id
                != all_(bindparam("known", list(known), type_=ARRAY(PG_UUID(as_uuid=True)))),
            )
            .values(removed=True, updated_at=func.now())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_removed(self, device_id: uuid.UUID) -> None:
        await self.session.execute(
            update(WatchedDevice)
            .where(WatchedDevice.device_id == device_id)
            .values(removed=True, updated_at=func.now())
        )

    async def mark_unit_removed(self, unit_id: uuid.UUID) -> None:
        await self.session.execute(
            update(WatchedDevice)
            .where(WatchedDevice.unit_id == unit_id)
            .values(removed=True, updated_at=func.now())
        )

    async def set_serial(self, device_id: uuid.UUID, serial: str) -> None:
        await self.session.execute(
            update(WatchedDevice).where(WatchedDevice.device_id == device_id).values(serial_number=serial)
        )

    async def move_unit(self, unit_id: uuid.UUID, district: str, jurisdiction: str) -> None:
        await self.session.execute(
            update(WatchedDevice)
            .where(WatchedDevice.unit_id == unit_id)
            .values(district=district, jurisdiction=jurisdiction, updated_at=func.now())
        )

    async def active(self) -> Sequence[WatchedDevice]:
        rows = await self.session.scalars(
            select(WatchedDevice).where(WatchedDevice.removed.is_(False)).order_by(WatchedDevice.device_id)
        )
        return rows.all()

    async def get(self, device_id: uuid.UUID) -> WatchedDevice | None:
        return await self.session.get(WatchedDevice, device_id)

    async def pollable(self) -> list[PollTarget]:
        rows = await self.session.execute(
            select(
                WatchedDevice.device_id,
                WatchedDevice.unit_id,
                WatchedDevice.district,
                WatchedDevice.jurisdiction,
                WatchedDevice.onvif_address,
                WatchedDevice.ptz_preset,
            )
            # Devices without an address (a channel reached only through its NVR) are not polled.
            .where(WatchedDevice.removed.is_(False), WatchedDevice.onvif_address.is_not(None))
            .order_by(WatchedDevice.device_id)
        )
        return [PollTarget(*row) for row in rows]
