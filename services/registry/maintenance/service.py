"""Maintenance windows: planned work a unit declares beforehand (a cause, ruling 1), so that an
outage inside one is not an interruption "without cause" (HRB art. 20(5) "无故中断", KMG art.
19). A window is declared before it starts, for a bounded time (a platform default: an open-
ended window would excuse every outage), and is never edited: it is cancelled before it
starts, or stands as declared."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack
from services.registry.access import visible, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.events import maintenance_window_event
from services.registry.maintenance.repository import MaintenanceWindowRepository
from services.registry.maintenance.schemas import MaintenanceWindowDeclare
from services.registry.models import Device, MaintenanceWindow

# A window "from now" typed by a person reaches the server a little after now: it starts at
# the declaration, never earlier.
NOW_GRACE = dt.timedelta(minutes=5)


def _window_times(pack: PolicyPack, data: MaintenanceWindowDeclare, now: dt.datetime) -> dt.datetime:
    """The window's start, checked with its end against the rules; raises naming the field."""
    if data.starts_at < now - NOW_GRACE:
        raise ValidationFailed.single(
            "starts_at",
            "declared-beforehand",
            f"a maintenance window is declared before it starts: {data.starts_at.isoformat()} is past "
            "(an outage already under way is explained to the tech office, which decides)",
        )
    starts_at = max(data.starts_at, now)
    if data.ends_at <= starts_at:
        raise ValidationFailed.single("ends_at", "after-start", "ends_at must be after starts_at (and now)")
    longest = dt.timedelta(days=pack.default("maintenance_window_max_days"))
    if data.ends_at - starts_at > longest:
        raise ValidationFailed.single(
            "ends_at",
            "platform-window-limit",
            f"a maintenance window lasts at most {longest.days} days (a platform default, no article): "
            "declare longer work as several windows",
        )
    return starts_at


class MaintenanceService:
    def __init__(self, session: AsyncSession, book: PolicyBook) -> None:
        self.session = session
        self.book = book
        self.windows = MaintenanceWindowRepository(session)

    async def _devices(self, unit_id: uuid.UUID, device_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        wanted = list(dict.fromkeys(device_ids))
        found: Sequence[Device] = await DeviceRepository(self.session).get_many(wanted)
        ours = {d.id for d in found if d.unit_id == unit_id}
        missing = [str(d) for d in wanted if d not in ours]
        if missing:
            raise ValidationFailed.single(
                "device_ids", "device-of-this-unit", f"not devices of this unit: {', '.join(missing)}"
            )
        return wanted

    async def declare(
        self, principal: Principal, unit_id: uuid.UUID, data: MaintenanceWindowDeclare
    ) -> MaintenanceWindow:
        async with UnitChange(self.session, self.book, principal, unit_id, recompute=False) as change:
            now = utc_now()
            starts_at = _window_times(change.pack, data, now)
            window = MaintenanceWindow(
                id=uuid.uuid4(),
                unit_id=change.unit.id,
                device_ids=await self._devices(change.unit.id, data.device_ids),
                starts_at=starts_at,
                ends_at=data.ends_at,
                reason=data.reason,
                declared_by=principal.subject,
                declared_at=now,
            )
            await self.windows.add(window)
            change.publish(maintenance_window_event(window))
        return window

    async def list(
        self, principal: Principal, unit_id: uuid.UUID, ending_after: dt.datetime | None
    ) -> Sequence[MaintenanceWindow]:
        unit = await visible_unit(self.session, principal, unit_id)
        return await self.windows.for_unit(unit.id, ending_after)

    async def cancel(self, principal: Principal, window_id: uuid.UUID) -> MaintenanceWindow:
        window = visible(principal, await self.windows.get(window_id), "maintenance window")
        async with UnitChange(self.session, self.book, principal, window.unit_id, recompute=False) as change:
            window = visible(
                principal, await self.windows.get(window_id, for_update=True), "maintenance window"
            )
            now = utc_now()
            if window.cancelled_at is not None:
                return window
            if window.starts_at <= now:
                raise Conflict(
                    f"the window started at {window.starts_at.isoformat()}: it stands as declared "
                    "(a cancelled window would no longer explain what happened in it)"
                )
            window.cancelled_at = now
            window.cancelled_by = principal.subject
            await self.session.flush()
            change.publish(maintenance_window_event(window))
        return window
