"""Inspections: the annual full function check (HRB art. 24), signed records (KMG art. 23),
rectification notices with a deadline and a re-check when it expires (HRB art. 25)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack
from services.registry.access import scoped_unit_filter, visible, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import Clock, local_today, utc_now
from services.registry.events import inspection_event
from services.registry.inspections.repository import InspectionRepository
from services.registry.inspections.schemas import (
    Addressee,
    CheckedRule,
    InspectionCreate,
    InspectionDue,
    InspectionRead,
    Inspector,
    NoticeRead,
)
from services.registry.management_rules.repository import ManagementRuleRepository
from services.registry.management_rules.service import pack_rule
from services.registry.models import (
    Inspection,
    InspectionKind,
    InspectionResult,
    ManagementRuleDocument,
    NoticeStatus,
    RectificationNotice,
    TechSystem,
)
from services.registry.systems.repository import SystemRepository


def notice_read(n: RectificationNotice, pack: PolicyPack, today: dt.date) -> NoticeRead:
    rule = pack.inspection
    return NoticeRead(
        id=n.id,
        unit_id=n.unit_id,
        inspection_id=n.inspection_id,
        items=list(n.items),
        addressee=Addressee(party=n.addressee_party, name=n.addressee_name),
        deadline=n.deadline,
        status=n.status,
        recheck_inspection_id=n.recheck_inspection_id,
        recheck_due=rule.recheck_article is not None
        and n.status == NoticeStatus.OPEN
        and today >= n.deadline,
        article=pack.cite(rule.recheck_article or rule.follow_up_article or ""),
    )


def _check_record(data: InspectionCreate, today: dt.date) -> None:
    if data.inspected_on > today:
        raise ValidationFailed.single(
            "inspected_on", "not-in-future", "an inspection cannot be in the future"
        )
    for i, inspector in enumerate(data.inspectors):
        if inspector.signed_at.date() < data.inspected_on:
            raise ValidationFailed.single(
                f"inspectors.{i}.signed_at",
                "signed-after-inspection",
                "an inspector signs the record on or after the inspection",
            )
    if data.rectification and data.rectification.deadline <= data.inspected_on:
        raise ValidationFailed.single(
            "rectification.deadline",
            "after-inspection",
            "the deadline must follow the inspection",
        )


def _inadequate_marks(
    pack: PolicyPack,
    on_file: Mapping[str, ManagementRuleDocument],
    previous: list[dict[str, Any]] | None,
    data: InspectionCreate,
) -> dict[str, str]:
    """The rules on file found inadequate, with the inspectors' notes: this record's judgement,
    or, where it made none, the last record's marks on the documents still on file."""
    if data.management_rules_inadequate is None:
        return {
            e["kind"]: e["note"]
            for e in previous or ()
            if e["status"] == "inadequate"
            and e["kind"] in on_file
            and str(on_file[e["kind"]].id) == e["document_id"]
        }
    marks = {}
    for i, mark in enumerate(data.management_rules_inadequate):
        field = f"management_rules_inadequate.{i}.kind"
        pack_rule(pack, mark.kind, field)
        if mark.kind not in on_file:
            raise ValidationFailed.single(
                field, "on-file", f"no {mark.kind} rule is on file: the record finds it missing"
            )
        marks[mark.kind.value] = mark.note
    return marks


def rules_found(
    pack: PolicyPack,
    on_file: Mapping[str, ManagementRuleDocument],
    previous: list[dict[str, Any]] | None,
    data: InspectionCreate,
) -> list[dict[str, Any]]:
    """What an inspection record finds of the unit's management rules: every kind its pack asks
    for, on file, missing or inadequate, with the version on file then (HRB art. 20(1)-(3); KMG
    art. 20, 21(1)-(2))."""
    marks = _inadequate_marks(pack, on_file, previous, data)
    found = []
    for rule in pack.management_rules:
        document = on_file.get(rule.code)
        status = "missing" if document is None else "inadequate" if rule.code in marks else "on_file"
        found.append(
            {
                "kind": rule.code.value,
                "name": rule.name,
                "article": pack.cite(rule.article),
                "status": status,
                "document_id": str(document.id) if document else None,
                "sha256": document.sha256 if document else None,
                "note": marks.get(rule.code),
            }
        )
    return found


class InspectionService:
    def __init__(self, session: AsyncSession, book: PolicyBook, clock: Clock = utc_now) -> None:
        self.session = session
        self.book = book
        self.clock = clock
        self.repo = InspectionRepository(session)

    def _articles(self, pack: PolicyPack) -> list[str]:
        rule = pack.inspection
        return [pack.cite(a) for a in (rule.article, rule.signed_records_article) if a]

    async def record(
        self, principal: Principal, system_id: uuid.UUID, data: InspectionCreate
    ) -> InspectionRead:
        system = await self._system(principal, system_id)
        # The record finds the unit's management rules: missing ones open its case.
        async with UnitChange(self.session, self.book, principal, system.unit_id, clock=self.clock) as change:
            today = local_today(change.pack, self.clock())
            _check_record(data, today)
            rechecked = await self._rechecked_notice(data, change.unit.id)
            rules = rules_found(
                change.pack,
                await ManagementRuleRepository(self.session).current(change.unit.id),
                await self.repo.latest_rules_check(change.unit.id),
                data,
            )
            inspection = Inspection(
                id=uuid.uuid4(),
                unit_id=change.unit.id,
                system_id=system.id,
                kind=InspectionKind.RECHECK if rechecked else InspectionKind.ANNUAL,
                inspected_on=data.inspected_on,
                result=data.result,
                inspectors=[i.model_dump(mode="json") for i in data.inspectors],
                notes=data.notes,
                notice_id=rechecked.id if rechecked else None,
                recorded_by=principal.subject,
                management_rules=rules,
                # When the rules were found, under the unit's lock: the last record is the last
                # one made (the transaction's start, the column's default, may come before).
                created_at=self.clock(),
            )
            await self.repo.add(inspection)
            if rechecked is not None:
                rechecked.recheck_inspection_id = inspection.id
                rechecked.status = (
                    NoticeStatus.RECTIFIED
                    if data.result == InspectionResult.PASSED
                    else NoticeStatus.NOT_RECTIFIED
                )
            notice = None
            if data.rectification is not None:
                notice = RectificationNotice(
                    id=uuid.uuid4(),
                    unit_id=change.unit.id,
                    inspection_id=inspection.id,
                    items=list(data.rectification.items),
                    addressee_party=data.rectification.addressee.party,
                    addressee_name=data.rectification.addressee.name,
                    deadline=data.rectification.deadline,
                    status=NoticeStatus.OPEN,
                )
                await self.repo.add(notice)
            change.publish(inspection_event(inspection))
        return self._read(inspection, notice, change.pack, today)

    async def _rechecked_notice(
        self, data: InspectionCreate, unit_id: uuid.UUID
    ) -> RectificationNotice | None:
        if data.recheck_of_notice is None:
            return None
        notice = await self.repo.notice(data.recheck_of_notice, for_update=True)
        if notice is None or notice.unit_id != unit_id:
            raise ValidationFailed.single(
                "recheck_of_notice", "notice-of-this-unit", "unknown notice for this unit"
            )
        if notice.status != NoticeStatus.OPEN:
            raise Conflict("This notice was already re-checked")
        return notice

    async def _system(self, principal: Principal, system_id: uuid.UUID) -> TechSystem:
        return visible(principal, await SystemRepository(self.session).get(system_id), "system")

    def _read(
        self, i: Inspection, notice: RectificationNotice | None, pack: PolicyPack, today: dt.date
    ) -> InspectionRead:
        return InspectionRead(
            id=i.id,
            unit_id=i.unit_id,
            system_id=i.system_id,
            kind=i.kind,
            inspected_on=i.inspected_on,
            result=i.result,
            inspectors=[Inspector.model_validate(x) for x in i.inspectors],
            notes=i.notes,
            notice=notice_read(notice, pack, today) if notice else None,
            management_rules=None
            if i.management_rules is None
            else [CheckedRule.model_validate(r) for r in i.management_rules],
            articles=self._articles(pack),
        )

    async def for_system(self, principal: Principal, system_id: uuid.UUID) -> list[InspectionRead]:
        system = await self._system(principal, system_id)
        unit = await visible_unit(self.session, principal, system.unit_id)
        pack = self.book[unit.jurisdiction]
        today = local_today(pack, self.clock())
        rows = await self.repo.for_system(system.id)
        notices = await self.repo.notices_for([r.id for r in rows])
        return [self._read(r, notices.get(r.id), pack, today) for r in rows]

    async def due(self, principal: Principal, within_days: int) -> list[InspectionDue]:
        """The annual full function check due list (HRB art. 24)."""
        now = self.clock()
        out = []
        for system, unit, last in await self.repo.accepted_systems_with_last_check(
            scoped_unit_filter(principal)
        ):
            pack = self.book[unit.jurisdiction]
            today = local_today(pack, now)
            assert system.acceptance_date is not None
            base = last or system.acceptance_date
            due = pack.next_inspection_due(base)
            if due <= today + dt.timedelta(days=within_days):
                out.append(
                    InspectionDue(
                        unit_id=unit.id,
                        unit_name=unit.name,
                        district=unit.district,
                        system_id=system.id,
                        system_name=system.name,
                        last_inspected_on=last,
                        due_date=due,
                        overdue=today > due,
                        article=pack.cite(pack.inspection.article) if pack.inspection.article else None,
                        platform_default=not pack.inspection.once_per_calendar_year,
                    )
                )
        return sorted(out, key=lambda d: (d.due_date, d.unit_name))

    async def rechecks(self, principal: Principal) -> list[NoticeRead]:
        """Open rectification notices, those whose deadline has come first."""
        now = self.clock()
        out = []
        for n in await self.repo.open_notices(scoped_unit_filter(principal)):
            unit = await visible_unit(self.session, principal, n.unit_id)
            pack = self.book[unit.jurisdiction]
            out.append(notice_read(n, pack, local_today(pack, now)))
        return out

    async def get_notice(self, principal: Principal, notice_id: uuid.UUID) -> NoticeRead:
        n = visible(principal, await self.repo.notice(notice_id), "notice")
        unit = await visible_unit(self.session, principal, n.unit_id)
        pack = self.book[unit.jurisdiction]
        return notice_read(n, pack, local_today(pack, self.clock()))
