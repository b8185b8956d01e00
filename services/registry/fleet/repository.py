"""The fleet and camera views in one statement each (no request per unit or per device)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Device, MaintenanceWindow, Place, TechSystem, Unit


class FleetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(self, after_unit: uuid.UUID | None, units: int) -> tuple[Sequence[RowMapping], bool]:
        """Rows of the next ``units`` active units (by id) with every device of theirs; True if
        more units follow. A closed unit is not part of the fleet."""
        unit_ids = select(Unit.id).where(Unit.closed_at.is_(None)).order_by(Unit.id).limit(units + 1)
        if after_unit is not None:
            unit_ids = unit_ids.where(Unit.id > after_unit)
        wanted = list(await self.session.scalars(unit_ids))
        more = len(wanted) > units
        wanted = wanted[:units]
        if not wanted:
            return [], False
        stmt = (
            select(
                Unit.id.label("unit_id"),
                Unit.name.label("unit_name"),
                Unit.district,
                Unit.jurisdiction,
                Device.id.label("device_id"),
                Device.kind,
                Device.name,
                Device.onvif_address,
                Device.serial_number,
                Device.parent_id,
                Device.channel_no,
                Device.location_type,
                Device.place_id,
                Place.category.label("place_category"),
                Device.system_id,
                TechSystem.acceptance_date.label("system_acceptance_date"),
                TechSystem.networking.label("system_networking"),
                TechSystem.recording.label("system_recording"),
                Device.recording,
                Device.ptz_preset,
            )
            .select_from(Unit)
            .outerjoin(Device, Device.unit_id == Unit.id)
            .outerjoin(Place, Place.id == Device.place_id)
            .outerjoin(TechSystem, TechSystem.id == Device.system_id)
            .where(Unit.id.in_(wanted))
            .order_by(Unit.id, Device.id.nulls_first())
        )
        return (await self.session.execute(stmt)).mappings().all(), more

    async def maintenance(
        self, unit_ids: Sequence[uuid.UUID], ending_after: dt.datetime
    ) -> dict[uuid.UUID, list[RowMapping]]:
        """The windows in force (not cancelled) of these units ending after ``ending_after``,
        by the device they cover."""
        device_id = func.unnest(MaintenanceWindow.device_ids).label("device_id")
        stmt = (
            select(
                device_id,
                MaintenanceWindow.id.label("window_id"),
                MaintenanceWindow.starts_at,
                MaintenanceWindow.ends_at,
            )
            .where(
                MaintenanceWindow.unit_id.in_(unit_ids),
                MaintenanceWindow.cancelled_at.is_(None),
                MaintenanceWindow.ends_at > ending_after,
            )
            .order_by(MaintenanceWindow.starts_at)
        )
        out: dict[uuid.UUID, list[RowMapping]] = {}
        for row in (await self.session.execute(stmt)).mappings():
            out.setdefault(row["device_id"], []).append(row)
        return out

    async def camera(self, device_id: uuid.UUID) -> RowMapping | None:
        stmt = (
            select(
                Device.id.label("camera_id"),
                Device.unit_id,
                Device.kind,
                Device.name,
                Device.location_type,
                Unit.jurisdiction,
                Unit.district,
                Device.onvif_address.is_not(None).label("reachable"),
                TechSystem.networking,
                Device.parent_id,
                Device.channel_no,
                Unit.closed_at.is_not(None).label("unit_closed"),
            )
            .join(Unit, Unit.id == Device.unit_id)
            .outerjoin(TechSystem, TechSystem.id == Device.system_id)
            .where(Device.id == device_id)
        )
        return (await self.session.execute(stmt)).mappings().one_or_none()
