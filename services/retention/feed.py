"""The fleet as retention keeps it: the shared fleet mirror (:mod:`jifang.mirror`) applied to
retention's own tables of units, places, systems and devices (what the judgement joins)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.fleet import FleetEntry, device_rows
from jifang.follow import ConsumerMetrics
from jifang.mirror import FleetMirror, device_entry
from jifang.recording import RecordingDeclaration, from_proto
from jifang.v1 import registry_pb2
from services.retention.repository import FleetRepository, MaintenanceRow


def _declared(declaration: RecordingDeclaration | None) -> dict[str, object] | None:
    return declaration.model_dump(mode="json") if declaration is not None else None


def _maintenance(entries: Sequence[FleetEntry]) -> list[MaintenanceRow]:
    """The windows of a page of the fleet view, each with every device it covers (a window is
    listed on each of its devices' rows)."""
    windows: dict[uuid.UUID, MaintenanceRow] = {}
    for e in entries:
        for span in e.maintenance:
            known = windows.get(span.window_id)
            devices = [*(known.device_ids if known else ()), e.device_id]
            windows[span.window_id] = MaintenanceRow(
                span.window_id, e.unit_id, [d for d in devices if d is not None], span.starts_at, span.ends_at
            )
    return list(windows.values())


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class RecordedFleet:
    """Retention's :class:`jifang.mirror.FleetStore`."""

    def __init__(self, session: AsyncSession) -> None:
        self.fleet = FleetRepository(session)

    async def first_time(self, event_id: uuid.UUID) -> bool:
        return await self.fleet.first_time(event_id)

    async def upsert(self, entries: Sequence[FleetEntry]) -> None:
        units = {
            e.unit_id: {
                "unit_id": e.unit_id,
                "name": e.unit_name,
                "district": e.district,
                "jurisdiction": e.jurisdiction,
            }
            for e in entries
        }
        places = {
            e.place_id: {"place_id": e.place_id, "unit_id": e.unit_id, "category": e.place_category}
            for e in entries
            if e.place_id is not None
        }
        systems = {
            e.system_id: {
                "system_id": e.system_id,
                "unit_id": e.unit_id,
                "acceptance_date": e.system_acceptance_date,
                "recording": _declared(e.system_recording),
            }
            for e in entries
            if e.system_id is not None
        }
        await self.fleet.upsert_units(list(units.values()))
        await self.fleet.upsert_places(list(places.values()))
        await self.fleet.upsert_systems(list(systems.values()))
        await self._upsert_devices(entries)
        await self.fleet.replace_maintenance(list(units), _maintenance(entries))

    async def _upsert_devices(self, entries: Sequence[FleetEntry]) -> None:
        rows = device_rows(entries, "parent_id", "channel_no", "place_id", "system_id")
        declared = {e.device_id: _declared(e.recording) for e in entries if e.device_id is not None}
        await self.fleet.upsert_devices([{**r, "recording": declared[r["device_id"]]} for r in rows])

    async def remove_except(self, device_ids: set[uuid.UUID]) -> int:
        return await self.fleet.remove_devices_except(device_ids)

    async def apply(self, event: registry_pb2.RegistryEvent) -> bool:
        body = event.WhichOneof("body")
        unit_id = uuid.UUID(event.unit_id)
        if body == "unit_changed":
            u = event.unit_changed
            await self.fleet.upsert_units(
                [{"unit_id": unit_id, "name": u.name, "district": u.district, "jurisdiction": u.jurisdiction}]
            )
            await self.fleet.move_unit(unit_id, u.district, u.jurisdiction)
            if u.closed:  # closed (注销): its recorders are no longer checked
                await self.fleet.remove_unit_devices(unit_id)
        elif body == "place_changed":
            p = event.place_changed
            await self.fleet.upsert_places(
                [
                    {
                        "place_id": uuid.UUID(p.place_id),
                        "unit_id": unit_id,
                        "category": p.category or None,
                        "removed": p.removed,
                    }
                ]
            )
        elif body == "system_changed":
            s = event.system_changed
            await self.fleet.upsert_systems(
                [
                    {
                        "system_id": uuid.UUID(s.system_id),
                        "unit_id": unit_id,
                        "acceptance_date": _date(s.acceptance_date),
                        "recording": _declared(from_proto(s.recording)) if s.HasField("recording") else None,
                        "removed": s.removed,
                    }
                ]
            )
        elif body == "device_changed":
            # The device only: its place's category and its system's dates have their own events.
            await self._upsert_devices([device_entry(event)])
        elif body == "device_removed":
            await self.fleet.remove_device(uuid.UUID(event.device_removed.device_id))
        elif body == "maintenance_window_changed":
            await self._maintenance_window(unit_id, event.maintenance_window_changed)
        else:
            return False
        return True

    async def _maintenance_window(self, unit_id: uuid.UUID, w: registry_pb2.MaintenanceWindowChanged) -> None:
        window_id = uuid.UUID(w.window_id)
        if w.cancelled:
            await self.fleet.remove_maintenance(window_id)
            return
        await self.fleet.upsert_maintenance(
            MaintenanceRow(
                window_id,
                unit_id,
                [uuid.UUID(d) for d in w.device_ids],
                w.starts_at.ToDatetime(dt.UTC),
                w.ends_at.ToDatetime(dt.UTC),
            )
        )


def fleet_mirror(
    sessionmaker: async_sessionmaker[AsyncSession],
    consumer_factory: Callable[[], AIOKafkaConsumer],
    metrics: ConsumerMetrics | None = None,
) -> FleetMirror:
    return FleetMirror(sessionmaker, RecordedFleet, consumer_factory, metrics=metrics)
