"""The mirror of the registry's fleet, and the checker's schedule.

The rest of retention's SQL: the judgement in ``judge.py``, observations and channels in
``observations.py``, the packs' rules in ``rules.py``, the outbox in ``outbox.py``, the
partitions in ``partitions.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, Range, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.db import first_time
from services.retention.models import (
    AppliedEvent,
    Channel,
    MirroredDevice,
    MirroredMaintenanceWindow,
    MirroredPlace,
    MirroredSystem,
    MirroredUnit,
)


class Recorder(NamedTuple):
    """What the checker needs of a recorder (plain rows: no ORM objects for a fleet)."""

    device_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    onvif_address: str
    jurisdiction: str


class MaintenanceRow(NamedTuple):
    window_id: uuid.UUID
    unit_id: uuid.UUID
    device_ids: Sequence[uuid.UUID]
    starts_at: dt.datetime
    ends_at: dt.datetime


class FleetRepository:
    """The mirror of the registry's fleet, and the checker's schedule."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, event_id: uuid.UUID) -> bool:
        """Record an event id; False if it was applied before (a redelivery)."""
        return await first_time(self.session, AppliedEvent, event_id)

    async def _upsert(
        self, model: Any, key: str, rows: Sequence[Mapping[str, Any]], chunk: int = 1000
    ) -> None:
        for i in range(0, len(rows), chunk):
            part = list(rows[i : i + chunk])
            stmt = insert(model).values(part)
            stmt = stmt.on_conflict_do_update(
                index_elements=[key], set_={k: stmt.excluded[k] for k in part[0] if k != key}
            )
            await self.session.execute(stmt)

    async def upsert_units(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(MirroredUnit, "unit_id", rows)

    async def upsert_places(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(
            MirroredPlace, "place_id", [{**r, "removed": r.get("removed", False)} for r in rows]
        )

    async def upsert_systems(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(
            MirroredSystem, "system_id", [{**r, "removed": r.get("removed", False)} for r in rows]
        )

    async def upsert_devices(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(MirroredDevice, "device_id", [{**r, "removed": False} for r in rows])

    async def replace_maintenance(
        self, unit_ids: Sequence[uuid.UUID], windows: Sequence[MaintenanceRow]
    ) -> None:
        """The units' windows are exactly ``windows`` (a start-up sync)."""
        await self.session.execute(
            delete(MirroredMaintenanceWindow).where(MirroredMaintenanceWindow.unit_id.in_(unit_ids))
        )
        for w in windows:
            await self.upsert_maintenance(w)

    async def upsert_maintenance(self, w: MaintenanceRow) -> None:
        row = {
            "window_id": w.window_id,
            "unit_id": w.unit_id,
            "device_ids": list(w.device_ids),
            "period": Range(w.starts_at, w.ends_at),
        }
        await self._upsert(MirroredMaintenanceWindow, "window_id", [row])

    async def remove_maintenance(self, window_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(MirroredMaintenanceWindow).where(MirroredMaintenanceWindow.window_id == window_id)
        )

    async def remove_device(self, device_id: uuid.UUID) -> None:
        await self.session.execute(
            update(MirroredDevice).where(MirroredDevice.device_id == device_id).values(removed=True)
        )
        await self.session.execute(
            update(Channel).where(Channel.recorder_id == device_id).values(active=False)
        )

    async def remove_unit_devices(self, unit_id: uuid.UUID) -> None:
        await self.session.execute(
            update(MirroredDevice).where(MirroredDevice.unit_id == unit_id).values(removed=True)
        )
        await self.session.execute(update(Channel).where(Channel.unit_id == unit_id).values(active=False))

    async def remove_devices_except(self, known: set[uuid.UUID]) -> int:
        ids = bindparam("known", list(known), type_=ARRAY(PG_UUID(as_uuid=True)))
        result = await self.session.execute(
            update(MirroredDevice)
            .where(MirroredDevice.removed.is_(False), MirroredDevice.device_id != func.all(ids))
            .values(removed=True)
        )
        await self.session.execute(
            update(Channel)
            .where(Channel.active.is_(True), Channel.recorder_id != func.all(ids))
            .values(active=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_unit(self, unit_id: uuid.UUID, district: str, jurisdiction: str) -> None:
        await self.session.execute(
            update(MirroredUnit)
            .where(MirroredUnit.unit_id == unit_id)
            .values(district=district, jurisdiction=jurisdiction)
        )
        await self.session.execute(
            update(Channel).where(Channel.unit_id == unit_id).values(district=district)
        )

    async def recorders_due(self, now: dt.datetime, limit: int) -> list[Recorder]:
        """Recorders whose turn has come: NVRs, and cameras outside any NVR (they may record
        themselves); a camera under an NVR is checked through its NVR."""
        rows = await self.session.execute(
            self._recorders()
            .where(
                func.coalesce(MirroredDevice.next_check_at, now) <= now,
            )
            .order_by(MirroredDevice.next_check_at.nulls_first())
            .limit(limit)
        )
        return [Recorder(*r) for r in rows]

    async def recorders_of_unit(self, unit_id: uuid.UUID) -> list[Recorder]:
        rows = await self.session.execute(self._recorders().where(MirroredDevice.unit_id == unit_id))
        return [Recorder(*r) for r in rows]

    @staticmethod
    def _recorders() -> Any:
        return (
            select(
                MirroredDevice.device_id,
                MirroredDevice.unit_id,
                MirroredDevice.kind,
                MirroredDevice.onvif_address,
                MirroredUnit.jurisdiction,
            )
            .join(MirroredUnit, MirroredUnit.unit_id == MirroredDevice.unit_id)
            .where(
                MirroredDevice.removed.is_(False),
                MirroredDevice.onvif_address.is_not(None),
                MirroredDevice.parent_id.is_(None),
            )
        )

    async def schedule(
        self, device_ids: Sequence[uuid.UUID], checked_at: dt.datetime, interval_s: float
    ) -> None:
        """Next turn one interval on; a recorder keeps its place in the day (the spread)."""
        await self.session.execute(
            update(MirroredDevice)
            .where(MirroredDevice.device_id.in_(device_ids))
            .values(
                last_checked_at=checked_at,
                next_check_at=func.greatest(
                    func.coalesce(MirroredDevice.next_check_at, checked_at)
                    + func.make_interval(0, 0, 0, 0, 0, 0, interval_s),
                    checked_at + dt.timedelta(seconds=interval_s / 2),
                ),
            )
        )

    async def spread_new_recorders(self, now: dt.datetime, span_s: float) -> int:
        """Give recorders without a turn one within ``span_s`` (by a hash of their id), so that
        a fleet's checks are spread, not one burst."""
        result = await self.session.execute(
            text(
                "UPDATE retention.devices SET next_check_at = CAST(:now AS timestamptz) "
                "+ make_interval(secs => (abs(hashtext(device_id::text)) % :span)::float8) "
                "WHERE next_check_at IS NULL AND NOT removed"
            ),
            {"now": now, "span": max(1, int(span_s))},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cameras_of(self, recorder_id: uuid.UUID) -> dict[int, uuid.UUID]:
        """Channel number -> the registry's camera, for the cameras recorded by an NVR."""
        rows = await self.session.execute(
            select(MirroredDevice.channel_no, MirroredDevice.device_id).where(
                MirroredDevice.parent_id == recorder_id,
                MirroredDevice.removed.is_(False),
                MirroredDevice.channel_no.is_not(None),
            )
        )
        return {n: d for n, d in rows if n is not None}

    async def unit_exists(self, unit_id: uuid.UUID) -> bool:
        return (await self.session.get(MirroredUnit, unit_id)) is not None
