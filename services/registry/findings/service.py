"""Findings: computed from the registry's records by the pack's rules (or from retention's
checks), stored with their articles, and walked through their statuses (models.FindingStatus):
open -> ordered -> rectified | escalated -> corrected_late; suspected -> confirmed | open |
dismissed by an officer."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, NotFound, ValidationFailed
from jifang.policy import FindingRule, PolicyBook, PolicyPack
from services.registry.access import scoped_unit_filter, visible
from services.registry.clock import Clock, local_today, utc_now
from services.registry.events import finding_event, publish
from services.registry.findings.repository import FindingRepository
from services.registry.findings.rules import EVALUATED_RULES, Liable, UnitRecords, Violation, evaluate
from services.registry.findings.schemas import (
    FindingQuery,
    FindingRead,
    FineRead,
    LiableRead,
    PenaltyStep,
    RecomputeResult,
)
from services.registry.models import Finding, FindingStatus, LiableParty, Unit
from services.registry.pagination import Page
from services.registry.units.repository import UnitRepository

# No penalty is shown for these: a suspicion not yet confirmed, or one an officer dismissed.
_NO_PENALTY = (FindingStatus.SUSPECTED, FindingStatus.DISMISSED)
# Past the deadline: liability is fixed (ruling 3), whatever happened after.
_PAST_DEADLINE = (FindingStatus.ESCALATED, FindingStatus.CORRECTED_LATE)


def penalty_step(pack: PolicyPack, finding: Finding, unit: Unit | None) -> PenaltyStep | None:
    if finding.status in _NO_PENALTY or finding.penalty is None or finding.penalty not in pack.penalties:
        return None
    penalty = pack.penalties[finding.penalty]
    escalated = finding.status in _PAST_DEADLINE and penalty.if_not_rectified
    fines = penalty.if_not_rectified if escalated else penalty.first_step.fines
    unit_kind = None if unit is None else ("business" if unit.is_business else "non_business")
    return PenaltyStep(
        step=2 if escalated else 1,
        article=pack.cite(penalty.article),
        measure="逾期不改正，处以罚款" if escalated else penalty.first_step.measure,
        fines=[
            FineRead(party=f.party, unit_kind=f.unit_kind, min_yuan=f.min, max_yuan=f.max)
            for f in fines
            if f.unit_kind is None or unit_kind is None or f.unit_kind == unit_kind
        ],
    )


def liable_out(liable: Liable, unit: Unit | None) -> LiableRead:
    """Who answers, as the API shows it: the unit by its own name and code."""
    if liable.party == LiableParty.UNIT:
        return LiableRead(
            party=LiableParty.UNIT,
            firm_id=None,
            name=unit.name if unit else None,
            uscc=unit.uscc if unit else None,
        )
    return LiableRead(party=liable.party, firm_id=liable.firm_id, name=liable.name, uscc=liable.uscc)


def _stored_liable(finding: Finding) -> Liable:
    return Liable(finding.liable_party, finding.liable_firm_id, finding.liable_name, finding.liable_uscc)


def set_liable(finding: Finding, liable: Liable) -> bool:
    """Who answers for the finding, as found now; True if that changed."""
    values = (liable.party, liable.firm_id, liable.name, liable.uscc)
    if _stored_liable(finding) == liable:
        return False
    finding.liable_party, finding.liable_firm_id, finding.liable_name, finding.liable_uscc = values
    return True


def to_read(finding: Finding, pack: PolicyPack, unit: Unit | None) -> FindingRead:
    return FindingRead(
        id=finding.id,
        unit_id=finding.unit_id,
        rule=finding.rule,
        subject_type=finding.subject_type,
        subject_id=finding.subject_id,
        liable=liable_out(_stored_liable(finding), unit),
        articles=list(finding.articles),
        penalty=penalty_step(pack, finding, unit),
        detail=finding.detail,
        status=finding.status,
        detected_at=finding.detected_at,
        ordered_at=finding.ordered_at,
        rectification_deadline=finding.rectification_deadline,
        rectified_at=finding.rectified_at,
        escalated_at=finding.escalated_at,
        decided_at=finding.decided_at,
        decided_by=finding.decided_by,
        decision_reason=finding.decision_reason,
    )


def refresh_finding(
    current: Finding,
    articles: list[str],
    detail: str,
    penalty: str | None,
    today: dt.date | None,
    now: datetime,
) -> tuple[bool, bool]:
    """A finding found again: its articles and detail as found now, escalated once its
    rectification deadline has passed. A suspicion stays as an officer left it. (changed,
    escalated)."""
    if current.status == FindingStatus.SUSPECTED:
        return False, False
    changed = escalated = False
    if list(current.articles) != articles or current.detail != detail:
        current.articles, current.detail, current.penalty = articles, detail, penalty
        changed = True
    if _deadline_passed(current, today):
        current.status = FindingStatus.ESCALATED
        current.escalated_at = now
        changed = escalated = True
    if changed:
        current.updated_at = now
    return changed, escalated


def _deadline_passed(finding: Finding, today: dt.date | None) -> bool:
    return (
        finding.status == FindingStatus.ORDERED
        and finding.rectification_deadline is not None
        and today is not None
        and today > finding.rectification_deadline
    )


def close_corrected(finding: Finding, today: dt.date | None, now: datetime) -> bool:
    """The breach is no longer found: rectified if in time; past the deadline it is
    `corrected_late`, keeping its dates and fine range (ruling 3). A suspicion, or a confirmed
    one, is not ended by a later good check (ruling 1): False, unchanged."""
    if finding.status == FindingStatus.SUSPECTED:
        return False
    if _deadline_passed(finding, today):
        finding.escalated_at = now
        finding.status = FindingStatus.CORRECTED_LATE
    elif finding.status == FindingStatus.ESCALATED:
        finding.status = FindingStatus.CORRECTED_LATE
    else:
        finding.status = FindingStatus.RECTIFIED
    finding.rectified_at = finding.updated_at = now
    return True


class FindingService:
    def __init__(self, session: AsyncSession, book: PolicyBook, clock: Clock = utc_now) -> None:
        self.session = session
        self.book = book
        self.clock = clock
        self.findings = FindingRepository(session)

    async def records(self, unit_ids: Sequence[uuid.UUID], *, lock: bool = False) -> list[UnitRecords]:
        repo = self.findings
        units = await repo.units(unit_ids, for_update=lock)
        recs = {u.id: UnitRecords(unit=u) for u in units}
        for p in await repo.places(unit_ids):
            recs[p.unit_id].places.append(p)
        system_unit: dict[uuid.UUID, uuid.UUID] = {}
        for s in await repo.systems(unit_ids):
            recs[s.unit_id].systems.append(s)
            system_unit[s.id] = s.unit_id
        for sid, pid in await repo.system_places(unit_ids):
            recs[system_unit[sid]].system_places.setdefault(sid, []).append(pid)
        filing_unit: dict[uuid.UUID, uuid.UUID] = {}
        for f in await repo.filings(unit_ids):
            recs[f.unit_id].filings.append(f)
            filing_unit[f.id] = f.unit_id
        for fid, sid in await repo.filing_systems(unit_ids):
            if fid in filing_unit:
                recs[filing_unit[fid]].filing_systems.setdefault(fid, []).append(sid)
        forbidden = sorted(
            {t for p in self.book.packs.values() for t in p.forbidden_camera_places.all_types()}
        )
        for d in await repo.cameras_in(unit_ids, forbidden):
            recs[d.unit_id].cameras.append(d)
        await self._rules_and_projects(recs, unit_ids)
        return list(recs.values())

    async def _rules_and_projects(
        self, recs: dict[uuid.UUID, UnitRecords], unit_ids: Sequence[uuid.UUID]
    ) -> None:
        """The units' management rules on file and last judged, and the firms' projects."""
        repo = self.findings
        for i in await repo.latest_rules_inspections(unit_ids):
            recs[i.unit_id].rules_inspection = i
        for unit_id, kind, document_id in await repo.current_rule_documents(unit_ids):
            recs[unit_id].rule_documents[kind] = document_id
        projects = await repo.projects(unit_ids)
        firms = {f.id: f for f in await repo.firms({p.firm_id for p in projects})}
        for project in projects:
            recs[project.unit_id].projects.append(project)
            recs[project.unit_id].firms[project.firm_id] = firms[project.firm_id]

    async def recompute(self, unit_ids: Sequence[uuid.UUID], chunk: int = 1000) -> RecomputeResult:
        started = time.perf_counter()
        totals: defaultdict[str, int] = defaultdict(int)
        for i in range(0, len(unit_ids), chunk):
            part = unit_ids[i : i + chunk]
            counts = await self._recompute_chunk(part)
            for k, v in counts.items():
                totals[k] += v
        return RecomputeResult(
            units=len(unit_ids),
            opened=totals["opened"],
            rectified=totals["rectified"],
            escalated=totals["escalated"],
            active=totals["active"],
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    async def recompute_all(self) -> RecomputeResult:
        return await self.recompute(await UnitRepository(self.session).active_ids())

    async def recompute_unit(self, unit: Unit) -> None:
        await self._recompute_chunk([unit.id])

    async def _recompute_chunk(self, unit_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        now = self.clock()
        counts = {"opened": 0, "rectified": 0, "escalated": 0, "active": 0}
        records = await self.records(unit_ids, lock=True)
        existing: dict[tuple[uuid.UUID, str, str], Finding] = {
            (f.unit_id, f.rule, f.subject_key): f
            for f in await self.findings.active_for_units(unit_ids, [r.value for r in EVALUATED_RULES])
        }
        # Per unit, so that finding what a unit no longer violates is not a scan of the chunk.
        existing_by_unit: defaultdict[uuid.UUID, list[tuple[tuple[uuid.UUID, str, str], Finding]]] = (
            defaultdict(list)
        )
        for key, finding in existing.items():
            existing_by_unit[key[0]].append((key, finding))
        for rec in records:
            unit = rec.unit
            if unit.closed_at is not None:
                # Closed (注销): its findings stay as they stood; the office decides their end.
                continue
            pack = self.book[unit.jurisdiction]
            today = local_today(pack, now)
            seen: set[tuple[uuid.UUID, str, str]] = set()
            for v in evaluate(pack, rec, today):
                key = (unit.id, v.rule.value, v.subject_key)
                seen.add(key)
                counts["active"] += 1
                current = existing.get(key)
                if current is None:
                    self._open(unit, v, now)
                    counts["opened"] += 1
                elif self._still_found(unit, current, v, today, now):
                    counts["escalated"] += 1
            for key, finding in existing_by_unit[unit.id]:
                if key not in seen and close_corrected(finding, today, now):
                    counts["rectified"] += 1
                    publish(self.session, unit, finding_event(finding))
        await self.session.flush()
        return counts

    def _still_found(self, unit: Unit, current: Finding, v: Violation, today: dt.date, now: datetime) -> bool:
        """A finding found again, brought up to date (published if it changed); True if escalated."""
        changed, escalated = refresh_finding(current, list(v.articles), v.detail, v.penalty, today, now)
        if current.status != FindingStatus.SUSPECTED and set_liable(current, v.liable):
            current.updated_at = now
            changed = True
        if changed:
            publish(self.session, unit, finding_event(current))
        return escalated

    def _open(self, unit: Unit, v: Violation, now: datetime) -> None:
        finding = Finding(
            id=uuid.uuid4(),
            unit_id=unit.id,
            rule=v.rule.value,
            subject_type=v.subject_type,
            subject_id=v.subject_id,
            subject_key=v.subject_key,
            articles=list(v.articles),
            penalty=v.penalty,
            detail=v.detail,
            status=FindingStatus.OPEN,
            detected_at=now,
            updated_at=now,
        )
        set_liable(finding, v.liable)
        self.findings.add(finding)
        publish(self.session, unit, finding_event(finding))

    async def _decided(self, finding_id: uuid.UUID) -> tuple[Finding, Unit, PolicyPack]:
        finding = await self.findings.get(finding_id, for_update=True)
        if finding is None:
            raise NotFound("No finding with this id")
        unit = (await self.findings.units([finding.unit_id]))[0]
        return finding, unit, self.book[unit.jurisdiction]

    async def order(
        self, principal: Principal, finding_id: uuid.UUID, deadline: dt.date | None
    ) -> FindingRead:
        """The first step: an order to correct by a deadline (with a warning in Harbin)."""
        finding, unit, pack = await self._decided(finding_id)
        if finding.status != FindingStatus.OPEN:
            raise Conflict(f"Only an open case can be ordered corrected; this one is {finding.status.value}")
        now = self.clock()
        today = local_today(pack, now)
        if deadline is not None and deadline <= today:
            raise ValidationFailed.single(
                "rectification_deadline",
                "future-date",
                "the rectification deadline must be after today",
            )
        finding.status = FindingStatus.ORDERED
        finding.ordered_at = now
        finding.rectification_deadline = deadline or pack.deadline(
            today, int(pack.default("rectification_days"))
        )
        return await self._decision_made(finding, unit, now)

    async def confirm(self, principal: Principal, finding_id: uuid.UUID) -> FindingRead:
        """An officer confirms a suspicion: the penalty article applies. Where the penalty is at
        once (HRB art. 29: warning and fine) the case is `confirmed`, for a person to decide
        the amount; where it is an order to correct (KMG art. 25) it is `open`, to be ordered."""
        finding, unit, pack = await self._suspected(finding_id)
        articles, penalty = pack.finding_citations(FindingRule(finding.rule), confirmed=True)
        now = self.clock()
        stepped = penalty is not None and bool(pack.penalties[penalty].if_not_rectified)
        finding.status = FindingStatus.OPEN if stepped else FindingStatus.CONFIRMED
        finding.articles, finding.penalty = articles, penalty
        finding.decided_at, finding.decided_by = now, principal.subject
        return await self._decision_made(finding, unit, now)

    async def dismiss(self, principal: Principal, finding_id: uuid.UUID, reason: str) -> FindingRead:
        """An officer dismisses a suspicion, with the reason: no case."""
        finding, unit, _ = await self._suspected(finding_id)
        now = self.clock()
        finding.status = FindingStatus.DISMISSED
        finding.decided_at, finding.decided_by, finding.decision_reason = now, principal.subject, reason
        return await self._decision_made(finding, unit, now)

    async def _decision_made(self, finding: Finding, unit: Unit, now: datetime) -> FindingRead:
        """The office's decision on a case stored and published; the case as read."""
        finding.updated_at = now
        await self.session.flush()
        publish(self.session, unit, finding_event(finding))
        return to_read(finding, self.book[unit.jurisdiction], unit)

    async def _suspected(self, finding_id: uuid.UUID) -> tuple[Finding, Unit, PolicyPack]:
        finding, unit, pack = await self._decided(finding_id)
        if finding.status != FindingStatus.SUSPECTED:
            raise Conflict(f"Only a suspicion is confirmed or dismissed; this one is {finding.status.value}")
        return finding, unit, pack

    async def list(self, principal: Principal, query: FindingQuery) -> Page[FindingRead]:
        rows, total, capped = await self.findings.search(query, only_unit=scoped_unit_filter(principal))
        units = {u.id: u for u in await self.findings.units(list({f.unit_id for f in rows}))}
        items = [to_read(f, self.book[units[f.unit_id].jurisdiction], units[f.unit_id]) for f in rows]
        return query.page(items, total, capped)

    async def read(self, principal: Principal, finding_id: uuid.UUID) -> FindingRead:
        finding = visible(principal, await self.findings.get(finding_id), "finding")
        unit = (await self.findings.units([finding.unit_id]))[0]
        return to_read(finding, self.book[unit.jurisdiction], unit)
