"""Retention's results in the register of findings: a channel found short by retention's
check becomes a finding of the unit here, with the articles the check cited, so that the tech
office orders its correction by a deadline and re-checks it as any other; a later check that
finds the channel in order rectifies it (or, past the deadline, marks it corrected late).
Footage deleted and recording interrupted are suspicions (ruling 1): they open `suspected`,
citing the duty only, and only an officer ends them: a later good check does not. A check
that could not read the recorder changes nothing (it proves neither)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import FindingRule, PolicyBook
from jifang.topics import RETENTION_TOPIC
from jifang.v1 import retention_pb2
from services.registry.clock import local_today
from services.registry.events import finding_event, publish
from services.registry.findings.follower import FindingsFollower
from services.registry.findings.repository import FindingRepository
from services.registry.findings.service import close_corrected, refresh_finding
from services.registry.models import Finding, FindingStatus
from services.registry.units.repository import UnitRepository

RETENTION_RULES = frozenset(
    {
        FindingRule.RETENTION_SHORT.value,
        FindingRule.RECORDS_DELETED_OR_ALTERED.value,
        FindingRule.OPERATION_INTERRUPTED.value,
    }
)


def subject_key(event: retention_pb2.RetentionChecked) -> str:
    return f"recording:{event.recorder_id}/{event.recording_token}"


def _wanted(event: retention_pb2.RetentionChecked) -> dict[str, tuple[retention_pb2.RetentionFinding, str]]:
    """The retention findings of a result, by rule, each with its detail (the channel's)."""
    first: dict[str, retention_pb2.RetentionFinding] = {}
    details: dict[str, list[str]] = {}
    for f in event.findings:
        if f.rule in RETENTION_RULES:
            first.setdefault(f.rule, f)
            details.setdefault(f.rule, []).append(f.detail)
    return {rule: (f, f"{event.recording_token}: " + "; ".join(details[rule])) for rule, f in first.items()}


async def apply_retention_result(
    session: AsyncSession, book: PolicyBook, event: retention_pb2.RetentionChecked, now: datetime
) -> None:
    """Open, update or rectify the channel's retention findings to match this result."""
    if event.verdict == "cannot_verify":
        return
    unit = await UnitRepository(session).get(uuid.UUID(event.unit_id))
    if unit is None:
        return
    wanted = _wanted(event)
    key = subject_key(event)
    findings = FindingRepository(session)
    existing = {
        f.rule: f for f in await findings.active_for_subject(unit.id, key) if f.rule in RETENTION_RULES
    }
    pack = book.get(unit.jurisdiction)
    today = local_today(pack, now) if pack else None
    for rule, (f, detail) in wanted.items():
        current = existing.get(rule)
        suspicion = pack is not None and pack.is_suspicion(rule)
        if current is None:
            # Retention publishes a suspicion with the duty only and no penalty; an officer's
            # confirmation cites the penalty (FindingService.confirm).
            current = Finding(
                id=uuid.uuid4(),
                unit_id=unit.id,
                rule=rule,
                subject_type="camera" if event.camera_id else "recorder",
                subject_id=uuid.UUID(event.camera_id or event.recorder_id),
                subject_key=key,
                articles=list(f.articles),
                penalty=f.penalty or None,
                detail=detail,
                status=FindingStatus.SUSPECTED if suspicion else FindingStatus.OPEN,
                detected_at=now,
                updated_at=now,
            )
            findings.add(current)
        elif (
            suspicion
            or not refresh_finding(current, list(f.articles), detail, f.penalty or None, today, now)[0]
        ):
            continue  # a suspicion, or a confirmed one, stays as the officer left it
        publish(session, unit, finding_event(current))
    for rule, finding in existing.items():
        if rule in wanted or (pack is not None and pack.is_suspicion(rule)):
            continue  # only an officer ends a suspicion (ruling 1)
        if close_corrected(finding, today, now):
            publish(session, unit, finding_event(finding))
    await session.flush()


class RetentionResults(FindingsFollower[retention_pb2.RetentionChecked]):
    """Follows retention's topic: each channel's result as the unit's findings."""

    name = "retention-results"
    topic = RETENTION_TOPIC
    parse = staticmethod(retention_pb2.RetentionChecked.FromString)

    async def handle(
        self, session: AsyncSession, event: retention_pb2.RetentionChecked, now: datetime
    ) -> None:
        await apply_retention_result(session, self.book, event, now)
