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
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import FindingRule, PolicyBook, PolicyPack
from services.registry.findings.repository import FindingRepository
from services.registry.findings.suspicions import suspect_device
from services.registry.maintenance.repository import MaintenanceWindowRepository
from services.registry.models import Device, Unit


def subject_key(device_id: uuid.UUID) -> str:
    return f"outage:device:{device_id}"


def local_time(pack: PolicyPack, at: datetime) -> str:
    """A time as the unit's officers read it: local, to the minute."""
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
    if pack is not None:
        rule, key = FindingRule.OPERATION_INTERRUPTED, subject_key(device.id)
        await suspect_device(session, pack, unit, device, rule, key, what, now)


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
        f"offline since {local_time(pack, since)} ({how}); no maintenance declared",
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
    minutes = (end - start).total_seconds() / 60
    span = f"offline {local_time(pack, start)} – {local_time(pack, end)} ({minutes:.0f} min)"
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
            f"{span}, past the end of its maintenance window at {local_time(pack, covered_to)}",
            now,
        )
