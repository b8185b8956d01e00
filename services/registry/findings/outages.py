"""Outages as suspected interruptions (ruling 1): a device that stopped answering is a fact;
that the system was interrupted "without cause" (HRB art. 20(5) "不得无故中断技防系统正常运行",
KMG art. 19 "不得无故中断") is for an officer to judge. The registry opens a suspicion citing
the duty, unless the unit declared the work beforehand: an outage that starts inside a
maintenance window on the device (or on its NVR) has a cause, and raises nothing unless it
outlasts the window.

Only silence counts: a device that answers but refuses the credentials, or answers in a
dialect that cannot be read, is not interrupted at all. Outages come from ingest's device
states (failed polls) and from the registry's own heartbeat watchdog (enrolled NVRs).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import first_time, session_scope
from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.policy import FindingRule, PolicyBook, PolicyPack
from jifang.topics import STATE_TOPIC
from jifang.v1 import ingest_pb2
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.events import finding_event, publish
from services.registry.findings.repository import FindingRepository
from services.registry.maintenance.repository import MaintenanceWindowRepository
from services.registry.models import AppliedEvent, Device, Finding, FindingStatus, Unit
from services.registry.units.repository import UnitRepository

# What a poll that ended an outage's count said: only silence is an interruption.
SILENT = frozenset({ingest_pb2.POLL_RESULT_TIMEOUT, ingest_pb2.POLL_RESULT_UNREACHABLE})


def subject_key(device_id: uuid.UUID) -> str:
    return f"outage:device:{device_id}"


def _local(pack: PolicyPack, at: datetime) -> str:
    return at.astimezone(ZoneInfo(pack.timezone)).strftime("%Y-%m-%d %H:%M %Z")


async def _windows_end(
    session: AsyncSession, device: Device, start: datetime, end: datetime
) -> datetime | None:
    """How far the maintenance windows declared on the device (or its NVR) cover an outage
    from ``start``, without a break; None if none covers its start."""
    covered_to: datetime | None = None
    for w in await MaintenanceWindowRepository(session).covering(
        [d for d in (device.id, device.parent_id) if d is not None], start, end
    ):
        if w.starts_at <= (covered_to or start) and (covered_to is None or w.ends_at > covered_to):
            covered_to = w.ends_at
    return covered_to


async def suspect_outage(
    session: AsyncSession, book: PolicyBook, unit: Unit, device: Device, what: str, now: datetime
) -> None:
    """Open (or add to) the device's suspected interruption: one case per device while it is
    open, each outage added to its account."""
    pack = book.get(unit.jurisdiction)
    if pack is None or FindingRule.OPERATION_INTERRUPTED not in pack.findings:
        return
    findings = FindingRepository(session)
    key = subject_key(device.id)
    (current, *_) = [*(await findings.active_for_subject(unit.id, key)), None]
    if current is not None:
        current.detail = f"{current.detail}; {what}"
        current.updated_at = now
    else:
        articles, penalty = pack.finding_citations(FindingRule.OPERATION_INTERRUPTED)
        current = Finding(
            id=uuid.uuid4(),
            unit_id=unit.id,
            rule=FindingRule.OPERATION_INTERRUPTED.value,
            subject_type="device",
            subject_id=device.id,
            subject_key=key,
            articles=articles,
            penalty=penalty,
            detail=f"{device.name}: {what}",
            status=FindingStatus.SUSPECTED
            if pack.is_suspicion(FindingRule.OPERATION_INTERRUPTED)
            else FindingStatus.OPEN,
            detected_at=now,
            updated_at=now,
        )
        findings.add(current)
    await session.flush()
    publish(session, unit, finding_event(current))


async def went_offline(
    session: AsyncSession,
    book: PolicyBook,
    unit: Unit,
    device: Device,
    since: datetime,
    how: str,
    now: datetime,
) -> None:
    """A device silent since ``since``: a suspicion, unless a window declared on it covers that."""
    pack = book.get(unit.jurisdiction)
    if pack is None or await _windows_end(session, device, since, since) is not None:
        return
    await suspect_outage(
        session,
        book,
        unit,
        device,
        f"offline since {_local(pack, since)} ({how}); no maintenance declared",
        now,
    )


async def came_back(
    session: AsyncSession,
    book: PolicyBook,
    unit: Unit,
    device: Device,
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    """An outage ended: added to the device's open suspicion; or, where a window covered its
    start, a suspicion if it outlasted the window by more than the gap threshold."""
    pack = book.get(unit.jurisdiction)
    if pack is None:
        return
    span = (
        f"offline {_local(pack, start)} – {_local(pack, end)} ({(end - start).total_seconds() / 60:.0f} min)"
    )
    if await FindingRepository(session).active_for_subject(unit.id, subject_key(device.id)):
        await suspect_outage(session, book, unit, device, span, now)
        return
    covered_to = await _windows_end(session, device, start, end)
    grace = timedelta(seconds=pack.default("recording_gap_threshold_s"))
    if covered_to is not None and end - covered_to > grace:
        await suspect_outage(
            session,
            book,
            unit,
            device,
            f"{span}, past the end of its maintenance window at {_local(pack, covered_to)}",
            now,
        )


def _at(ts: object) -> datetime:
    assert hasattr(ts, "ToDatetime")
    at: datetime = ts.ToDatetime(UTC)
    return at


async def apply_device_state(
    session: AsyncSession, book: PolicyBook, event: ingest_pb2.DeviceStateChange, now: datetime
) -> None:
    """An outage ingest saw, as the registry's record of the unit."""
    change = event.WhichOneof("change")
    if change not in ("went_offline", "came_back"):
        return  # maintenance (replaced, reconfigured) and measurements: not interruptions
    device = await DeviceRepository(session).get(uuid.UUID(event.device_id))
    unit = await UnitRepository(session).get(device.unit_id) if device is not None else None
    if device is None or unit is None or unit.closed_at is not None:
        return
    if change == "went_offline":
        w = event.went_offline
        if w.last_result not in SILENT:
            return  # it answers: refused credentials or an unreadable answer is no interruption
        how = f"{w.failed_polls} polls unanswered"
        await went_offline(session, book, unit, device, _at(w.since), how, now)
    else:
        b = event.came_back
        await came_back(session, book, unit, device, _at(b.outage_start), _at(b.outage_end), now)


class DeviceOutages(TopicFollower):
    """Follows ingest's device states; each batch in one transaction, offsets committed after."""

    name = "device-outages"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        book: PolicyBook,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__(consumer_factory, [STATE_TOPIC], metrics=metrics)
        self.sessionmaker = sessionmaker
        self.book = book

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        async with session_scope(self.sessionmaker) as session:
            for record in records:
                if record.value is None:
                    continue
                event = ingest_pb2.DeviceStateChange.FromString(record.value)
                if await first_time(session, AppliedEvent, uuid.UUID(event.meta.event_id)):
                    await apply_device_state(session, self.book, event, utc_now())
