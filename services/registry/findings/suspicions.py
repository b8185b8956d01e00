"""One case per device and rule while it is active (ruling 2): what the platform sees again of a
device is added to the account of its open case, not made a case of its own. A suspicion
(ruling 1) cites the duty only until an officer confirms it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import FindingRule, PolicyPack
from services.registry.events import finding_event, publish
from services.registry.findings.repository import FindingRepository
from services.registry.models import Device, Finding, FindingStatus, Unit


async def suspect_device(
    session: AsyncSession,
    pack: PolicyPack,
    unit: Unit,
    device: Device,
    rule: FindingRule,
    key: str,
    what: str,
    now: datetime,
) -> None:
    """Open the device's case of ``rule`` under ``key``, or add ``what`` to the one active."""
    if rule not in pack.findings:
        return
    findings = FindingRepository(session)
    (current, *_) = [*(await findings.active_for_subject(unit.id, key)), None]
    if current is not None:
        current.detail = f"{current.detail}; {what}"
        current.updated_at = now
    else:
        articles, penalty = pack.finding_citations(rule)
        current = Finding(
            id=uuid.uuid4(),
            unit_id=unit.id,
            rule=rule.value,
            subject_type="device",
            subject_id=device.id,
            subject_key=key,
            articles=articles,
            penalty=penalty,
            detail=f"{device.name}: {what}",
            status=FindingStatus.SUSPECTED if pack.is_suspicion(rule) else FindingStatus.OPEN,
            detected_at=now,
            updated_at=now,
        )
        findings.add(current)
    await session.flush()
    publish(session, unit, finding_event(current))


async def add_to_active(session: AsyncSession, unit: Unit, key: str, what: str, now: datetime) -> bool:
    """Add ``what`` to the active case under ``key``, if there is one (never opening one)."""
    (current, *_) = [*(await FindingRepository(session).active_for_subject(unit.id, key)), None]
    if current is None:
        return False
    current.detail = f"{current.detail}; {what}"
    current.updated_at = now
    await session.flush()
    publish(session, unit, finding_event(current))
    return True
