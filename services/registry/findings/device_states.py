"""Ingest's device states (topic ``jifang.device-state.v1``) as the registry's record of the
unit: outages become suspected interruptions (:mod:`.outages`), what a device shows of a changed
position or scope a suspected change of position (:mod:`.positions`). Maintenance (a replaced
device, a changed codec, bitrate or resolution) and measurements (image quality, clock drift)
raise nothing here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import PolicyBook
from jifang.topics import STATE_TOPIC
from jifang.v1 import ingest_pb2
from services.registry.devices.repository import DeviceRepository
from services.registry.findings import outages, positions
from services.registry.findings.follower import FindingsFollower
from services.registry.models import Device, Unit
from services.registry.units.repository import UnitRepository

# What a poll that ended an outage's count said: only silence is an interruption.
SILENT = frozenset({ingest_pb2.POLL_RESULT_TIMEOUT, ingest_pb2.POLL_RESULT_UNREACHABLE})
# The changes the registry acts on; the others are records of ingest's alone.
ACTED_ON = frozenset({"went_offline", "came_back", "position_changed", "position_restored"})


def _at(ts: object) -> datetime:
    assert hasattr(ts, "ToDatetime")
    at: datetime = ts.ToDatetime(UTC)
    return at


async def _outage(
    session: AsyncSession,
    book: PolicyBook,
    unit: Unit,
    device: Device,
    event: ingest_pb2.DeviceStateChange,
    now: datetime,
) -> None:
    if event.HasField("went_offline"):
        w = event.went_offline
        if w.last_result not in SILENT:
            return  # it answers: refused credentials or an unreadable answer is no interruption
        how = f"{w.failed_polls} polls unanswered"
        await outages.went_offline(session, book, unit, device, _at(w.since), how, now)
    else:
        b = event.came_back
        await outages.came_back(session, book, unit, device, _at(b.outage_start), _at(b.outage_end), now)


async def apply_device_state(
    session: AsyncSession, book: PolicyBook, event: ingest_pb2.DeviceStateChange, now: datetime
) -> None:
    """A device state ingest derived, as the registry's record of the unit."""
    change = event.WhichOneof("change")
    if change not in ACTED_ON:
        return
    device = await DeviceRepository(session).get(uuid.UUID(event.device_id))
    unit = await UnitRepository(session).get(device.unit_id) if device is not None else None
    if device is None or unit is None or unit.closed_at is not None:
        return
    pack = book.get(unit.jurisdiction)  # the unit's pack as the registry holds it
    if pack is None:
        return
    if change == "position_changed":
        await positions.position_changed(session, pack, unit, device, event.position_changed, now)
    elif change == "position_restored":
        at = _at(event.meta.occurred_at) if event.meta.HasField("occurred_at") else now
        await positions.position_restored(session, pack, unit, device, event.position_restored, at)
    else:
        await _outage(session, book, unit, device, event, now)


class DeviceStates(FindingsFollower[ingest_pb2.DeviceStateChange]):
    """Follows ingest's device states: outages and changed positions as suspicions."""

    name = "device-states"
    topic = STATE_TOPIC
    parse = staticmethod(ingest_pb2.DeviceStateChange.FromString)

    async def handle(self, session: AsyncSession, event: ingest_pb2.DeviceStateChange, now: datetime) -> None:
        await apply_device_state(session, self.book, event, now)
