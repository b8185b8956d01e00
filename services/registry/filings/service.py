"""Filing (备案): materials, completeness, the supplement notice, receipts, re-filing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, FieldError, NotFound, ValidationFailed
from jifang.policy import Material, PolicyBook, PolicyPack
from jifang.v1 import registry_pb2
from services.registry.access import visible, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import Clock, local_today, utc_now
from services.registry.events import filing_event
from services.registry.filings.repository import FilingRepository
from services.registry.filings.schemas import (
    ConfidentialReadOut,
    FilingCreate,
    FilingDue,
    FilingRead,
    FilingReturn,
    MaterialRead,
    MissingMaterial,
    SupplementNotice,
)
from services.registry.findings.rules import (
    UnitRecords,
    filing_due_date,
    filing_duties,
    filing_progress,
    project_due_date,
)
from services.registry.findings.service import FindingService, liable_out
from services.registry.firms.repository import FirmRepository
from services.registry.models import (
    ConfidentialRead,
    FilingMaterial,
    FilingRecord,
    FilingStatus,
    Firm,
    FirmProject,
    TechSystem,
    Unit,
)
from services.registry.offices import filing_office, project_office
from services.registry.storage import DocumentCheck, MaterialStorage, Upload, keep_document
from services.registry.systems.repository import SystemRepository
from services.registry.units.repository import UnitRepository


def _listed(pack: PolicyPack, codes: Sequence[str]) -> list[MissingMaterial]:
    by_code = {m.code: m for m in pack.filing.materials}
    return [
        MissingMaterial(code=c, name=by_code[c].name, article=pack.cite(by_code[c].article))
        for c in codes
        if c in by_code
    ]


def _known_materials(pack: PolicyPack, codes: Sequence[str], field: str) -> None:
    """Every code a material of the pack's list (422 naming the field otherwise)."""
    known = [m.code for m in pack.filing.materials]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed.single(
            field,
            "known-material",
            f"not filing materials in {pack.id}: {', '.join(unknown)}; known: {', '.join(known) or 'none'}",
        )


@dataclass(frozen=True)
class _Filer:
    """What a new filing covers and where, by when, and (where the firm files) whose it is."""

    systems: Sequence[TechSystem]
    office: str
    due: dt.date | None
    project: FirmProject | None = None
    firm: Firm | None = None


class FilingService:
    def __init__(
        self,
        session: AsyncSession,
        book: PolicyBook,
        storage: MaterialStorage | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.session = session
        self.book = book
        self.storage = storage
        self.clock = clock
        self.filings = FilingRepository(session)

    async def _filing(
        self, principal: Principal, filing_id: uuid.UUID, *, lock: bool = False
    ) -> FilingRecord:
        return visible(principal, await self.filings.get(filing_id, for_update=lock), "filing")

    async def _load(self, principal: Principal, filing_id: uuid.UUID) -> tuple[FilingRecord, Unit]:
        filing = await self._filing(principal, filing_id)
        return filing, await visible_unit(self.session, principal, filing.unit_id)

    def _change(self, principal: Principal, unit_id: uuid.UUID, *, recompute: bool) -> UnitChange:
        return UnitChange(self.session, self.book, principal, unit_id, clock=self.clock, recompute=recompute)

    async def read(self, principal: Principal, filing_id: uuid.UUID) -> FilingRead:
        filing, unit = await self._load(principal, filing_id)
        return await self.to_read(filing, self.book[unit.jurisdiction])

    async def to_read(self, filing: FilingRecord, pack: PolicyPack) -> FilingRead:
        names = {m.code: m.name for m in pack.filing.materials}
        materials = await self.filings.materials(filing.id)
        notice = None
        if filing.status == FilingStatus.RETURNED:
            supplement = pack.filing.supplement
            notice = SupplementNotice(
                missing=_listed(pack, filing.missing_materials),
                items=list(filing.supplement_items or []),
                supplement_deadline=filing.supplement_deadline,
                article=pack.cite(supplement.article) if supplement else None,
            )
        articles = [pack.cite(pack.filing.article)]
        if filing.status == FilingStatus.FILED and pack.filing.receipt_article:
            articles.append(pack.cite(pack.filing.receipt_article))
        present = {m.code for m in materials}
        project = await FirmRepository(self.session).project(filing.project_id) if filing.project_id else None
        return FilingRead(
            id=filing.id,
            unit_id=filing.unit_id,
            kind=filing.kind,
            status=filing.status,
            party=filing.party,
            project_id=filing.project_id,
            firm_id=project.firm_id if project else None,
            firm_name=filing.firm_name,
            office=filing.office,
            system_ids=(await self.filings.system_ids([filing.id]))[filing.id],
            due_date=filing.due_date,
            filed_on=filing.filed_on,
            days_late=filing.days_late,
            submitted_at=filing.submitted_at,
            materials=[
                MaterialRead(
                    id=m.id,
                    code=m.code,
                    name=names.get(m.code, m.code),
                    filename=m.filename,
                    content_type=m.content_type,
                    size_bytes=m.size_bytes,
                    sha256=m.sha256,
                    uploaded_at=m.uploaded_at,
                )
                for m in materials
            ],
            precheck_missing=_listed(pack, [m.code for m in pack.filing.materials if m.code not in present]),
            notice=notice,
            receipt_number=filing.receipt_number,
            filed_at=filing.filed_at,
            decided_at=filing.decided_at,
            articles=articles,
        )

    async def create(self, principal: Principal, unit_id: uuid.UUID, data: FilingCreate) -> FilingRead:
        # A draft changes no finding.
        async with self._change(principal, unit_id, recompute=False) as change:
            unit, pack = change.unit, change.pack
            if pack.filing.party == "firm":
                filer = await self._project_filer(unit, pack, data)
            else:
                filer = await self._unit_filer(unit, pack, data)
            filing = FilingRecord(
                id=uuid.uuid4(),
                unit_id=unit.id,
                kind=data.kind,
                status=FilingStatus.DRAFT,
                party=pack.filing.party,
                firm_name=filer.firm.name if filer.firm else None,
                project_id=filer.project.id if filer.project else None,
                office=filer.office,
                due_date=filer.due,
                submitted_at=self.clock(),
                missing_materials=[],
                created_by=principal.subject,
            )
            await self.filings.add(filing, [s.id for s in filer.systems])
            change.publish(await self._event(filing))
        return await self.to_read(filing, pack)

    async def _unit_filer(self, unit: Unit, pack: PolicyPack, data: FilingCreate) -> _Filer:
        """HRB art. 14: the unit files its systems with the office of its security affiliation,
        within 30 days of their acceptance."""
        if data.project_id is not None:
            raise ValidationFailed.single(
                "project_id",
                "unit-files",
                f"in {pack.city} the using unit files its systems ({pack.cite(pack.filing.article)}), "
                "not a firm per project",
            )
        if not data.system_ids:
            raise ValidationFailed.single("system_ids", "required", "name the systems filed")
        systems = await self._systems(unit, data.system_ids)
        dues = [d for d in (filing_due_date(pack, s) for s in systems) if d is not None]
        return _Filer(systems, filing_office(unit, pack), min(dues) if dues else None)

    async def _project_filer(self, unit: Unit, pack: PolicyPack, data: FilingCreate) -> _Filer:
        """KMG art. 16: the firm files each project, within 10 days of its completion, at the
        office of the district where the project is."""
        article = pack.cite(pack.filing.article)
        if data.project_id is None:
            raise ValidationFailed.single(
                "project_id",
                "required-for-firm-filing",
                f"in {pack.city} the design, construction or maintenance firm files each project "
                f"({article}): name the project (POST /api/v1/firms/{{firm_id}}/projects records it)",
            )
        firms = FirmRepository(self.session)
        project = await firms.project(data.project_id)
        if project is None or project.unit_id != unit.id:
            raise ValidationFailed.single(
                "project_id", "project-of-this-unit", "no project with this id on this unit's systems"
            )
        if data.system_ids and list(dict.fromkeys(data.system_ids)) != [project.system_id]:
            raise ValidationFailed.single(
                "system_ids", "the-projects-system", "a project's filing covers the project's system"
            )
        firm = await firms.get(project.firm_id)
        systems = await self._systems(unit, [project.system_id])
        office = project_office(pack, project.district)
        return _Filer(systems, office, project_due_date(pack, project), project, firm)

    async def _systems(self, unit: Unit, system_ids: Sequence[uuid.UUID]) -> Sequence[TechSystem]:
        ids = list(dict.fromkeys(system_ids))
        systems = await SystemRepository(self.session).many(unit.id, ids)
        if len(systems) != len(ids):
            raise ValidationFailed.single(
                "system_ids", "system-of-this-unit", "every system must belong to this unit"
            )
        return systems

    async def upload(
        self,
        principal: Principal,
        filing_id: uuid.UUID,
        code: str,
        upload: Upload,
        documents: DocumentCheck,
    ) -> FilingRead:
        assert self.storage is not None
        filing = await self._filing(principal, filing_id, lock=True)
        # Which materials exist changes no finding.
        async with self._change(principal, filing.unit_id, recompute=False) as change:
            pack = change.pack
            _known_materials(pack, [code], "code")
            if filing.status not in (FilingStatus.DRAFT, FilingStatus.RETURNED):
                raise Conflict(
                    f"Materials can be added to a draft or returned filing; this one is {filing.status.value}"
                )
            stored = await keep_document(self.storage, documents, upload, code)
            await self.filings.add_material(
                FilingMaterial(
                    id=uuid.uuid4(),
                    filing_id=filing.id,
                    code=code,
                    **stored.columns(),
                    uploaded_by=principal.subject,
                )
            )
            change.publish(await self._event(filing))  # which materials exist; never their content
        return await self.to_read(filing, pack)

    async def submit(self, principal: Principal, filing_id: uuid.UUID) -> FilingRead:
        """A complete set puts the filing before the office (ruling 6); an incomplete one is
        refused at once by the pre-check, naming every missing material."""
        filing = await self._filing(principal, filing_id, lock=True)
        async with self._change(principal, filing.unit_id, recompute=True) as change:
            pack = change.pack
            if filing.status not in (FilingStatus.DRAFT, FilingStatus.RETURNED):
                raise Conflict(f"This filing is already {filing.status.value}")
            missing = await self._not_uploaded(filing, pack)
            if missing:
                raise ValidationFailed(
                    [
                        FieldError(
                            f"materials.{m.code}",
                            "complete-set",
                            f"{m.name} ({pack.cite(m.article)}) is not uploaded yet",
                        )
                        for m in missing
                    ],
                    "The pre-check found the set incomplete: upload every material, then submit",
                )
            filing.status = FilingStatus.SUBMITTED
            filing.submitted_at = self.clock()
            change.publish(await self._event(filing))
        return await self.to_read(filing, pack)

    async def accept(self, principal: Principal, filing_id: uuid.UUID) -> FilingRead:
        """The office accepts a submitted filing: filed, with a receipt (HRB art. 16 para. 1)."""
        filing = await self._submitted(principal, filing_id)
        async with self._change(principal, filing.unit_id, recompute=True) as change:
            now = self.clock()
            await self._file(filing, change.unit, change.pack, now)
            filing.decided_at, filing.decided_by = now, principal.subject
            change.publish(await self._event(filing))
        return await self.to_read(filing, change.pack)

    async def return_(self, principal: Principal, filing_id: uuid.UUID, data: FilingReturn) -> FilingRead:
        """The office returns a submitted filing with a notice of all to supplement (告知补正,
        HRB art. 16 para. 2), whose period runs from today."""
        filing = await self._submitted(principal, filing_id)
        async with self._change(principal, filing.unit_id, recompute=True) as change:
            pack = change.pack
            if data.missing_materials is None:
                missing = [m.code for m in await self._not_uploaded(filing, pack)]
            else:
                _known_materials(pack, data.missing_materials, "missing_materials")
                missing = list(dict.fromkeys(data.missing_materials))
            if not missing and not data.items:
                raise ValidationFailed.single(
                    "items", "something-to-supplement", "a returned filing names what to supplement"
                )
            now = self.clock()
            filing.status = FilingStatus.RETURNED
            filing.missing_materials = missing
            filing.supplement_items = list(data.items)
            supplement = pack.filing.supplement
            today = local_today(pack, now)
            filing.supplement_deadline = pack.deadline(today, supplement.days) if supplement else None
            filing.decided_at, filing.decided_by = now, principal.subject
            change.publish(await self._event(filing))
        return await self.to_read(filing, pack)

    async def _not_uploaded(self, filing: FilingRecord, pack: PolicyPack) -> list[Material]:
        """The pack's materials the filing does not have yet, in the pack's order."""
        present = {m.code for m in await self.filings.materials(filing.id)}
        return [m for m in pack.filing.materials if m.code not in present]

    async def _submitted(self, principal: Principal, filing_id: uuid.UUID) -> FilingRecord:
        filing = await self._filing(principal, filing_id, lock=True)
        if filing.status != FilingStatus.SUBMITTED:
            raise Conflict(f"Only a submitted filing can be decided; this one is {filing.status.value}")
        return filing

    async def _file(self, filing: FilingRecord, unit: Unit, pack: PolicyPack, now: datetime) -> None:
        serial = await self.filings.next_receipt_serial()
        filing.status = FilingStatus.FILED
        filing.missing_materials = []
        filing.filed_at = now
        filing.receipt_number = f"{pack.citation_prefix}-BA-{local_today(pack, now).year}-{serial:06d}"
        system_ids = (await self.filings.system_ids([filing.id]))[filing.id]
        systems = await SystemRepository(self.session).many(unit.id, system_ids)
        await self._record_lateness(filing, pack, systems)
        # The new filing replaces earlier ones of the same systems (HRB art. 17), or of the
        # same project where the firm files per project (KMG art. 16).
        for earlier in await self.filings.filed_covering(system_ids, filing.project_id):
            if earlier.id != filing.id:
                earlier.status = FilingStatus.SUPERSEDED
        for system in systems:
            system.changed_since_filing = False

    async def _record_lateness(
        self, filing: FilingRecord, pack: PolicyPack, systems: Sequence[TechSystem]
    ) -> None:
        """ "Filed late" as a fact, fixed at the office's acceptance: the due date as the records
        say now, the day the filer handed in the accepted set, and the days between. The law
        counts the filer's act: HRB art. 14 "将技防工程建设情况…备案" and art. 28(2) "不按规定将技防工程
        建设情况报送备案的" punish not handing it in (报送), and art. 16 para. 1 has the office accept
        a complete set; KMG art. 16 "到…公安机关技防管理机构备案" likewise. The set handed in last
        (after a return, HRB art. 16 para. 2 "补正有关材料后…备案") is the one accepted."""
        project = await FirmRepository(self.session).project(filing.project_id) if filing.project_id else None
        if project is not None:
            filing.due_date = project_due_date(pack, project)
        else:
            dues = [d for d in (filing_due_date(pack, s) for s in systems) if d is not None]
            filing.due_date = min(dues) if dues else filing.due_date
        filing.filed_on = local_today(pack, filing.submitted_at)
        filing.days_late = (
            None if filing.due_date is None else max(0, (filing.filed_on - filing.due_date).days)
        )

    async def _event(self, filing: FilingRecord) -> registry_pb2.FilingChanged:
        system_ids = (await self.filings.system_ids([filing.id]))[filing.id]
        materials = [m.code for m in await self.filings.materials(filing.id)]
        return filing_event(filing, system_ids, materials)

    async def list_for_unit(self, principal: Principal, unit_id: uuid.UUID) -> list[FilingRead]:
        unit = await visible_unit(self.session, principal, unit_id)
        pack = self.book[unit.jurisdiction]
        return [await self.to_read(f, pack) for f in await self.filings.for_unit(unit.id)]

    async def receipt(self, principal: Principal, filing_id: uuid.UUID) -> tuple[str, str]:
        filing, unit = await self._load(principal, filing_id)
        if filing.status != FilingStatus.FILED or not filing.receipt_number:
            raise Conflict("A receipt exists only for a filed filing")
        pack = self.book[unit.jurisdiction]
        systems = await SystemRepository(self.session).many(
            unit.id, (await self.filings.system_ids([filing.id]))[filing.id]
        )
        firm = await self._firm_of(filing)
        # The filer: the firm where it files per project (KMG art. 16), the unit otherwise.
        filer = [f"备案单位: {unit.name} ({unit.uscc})"]
        if firm is not None:
            filer = [f"备案单位: {firm.name} ({firm.uscc})", f"使用单位: {unit.name} ({unit.uscc})"]
        lines = [
            "技防工程备案回执单",
            f"回执编号: {filing.receipt_number}",
            *filer,
            f"备案机关: {filing.office}",
            f"备案日期: {local_today(pack, filing.filed_at or self.clock()).isoformat()}",
            "备案系统: " + "; ".join(f"{s.name} ({pack.system_types[s.system_type].name})" for s in systems),
            f"依据: {pack.cite(pack.filing.receipt_article or pack.filing.article)}",
        ]
        return filing.receipt_number, "\n".join(lines) + "\n"

    async def _firm_of(self, filing: FilingRecord) -> Firm | None:
        project = await FirmRepository(self.session).project(filing.project_id) if filing.project_id else None
        return await FirmRepository(self.session).get(project.firm_id) if project else None

    async def material(
        self, principal: Principal, filing_id: uuid.UUID, material_id: uuid.UUID
    ) -> tuple[FilingMaterial, bytes]:
        assert self.storage is not None
        filing = await self._filing(principal, filing_id)
        material = await self.filings.material(filing.id, material_id)
        if material is None:
            raise NotFound("No material with this id in this filing")
        data = await self.storage.get(material.storage_key)
        # Registered before it is handed out, in the same transaction (HRB art. 19 para. 1).
        await self.filings.record_read(
            ConfidentialRead(
                id=uuid.uuid4(),
                unit_id=filing.unit_id,
                filing_id=filing.id,
                material_id=material.id,
                code=material.code,
                reader=principal.subject,
                roles=sorted(r.value for r in principal.roles),
                read_at=self.clock(),
            )
        )
        return material, data

    async def confidential_reads(
        self, principal: Principal, unit_id: uuid.UUID, limit: int
    ) -> list[ConfidentialReadOut]:
        """Who has read the unit's confidential materials, newest first."""
        unit = await visible_unit(self.session, principal, unit_id)
        return [
            ConfidentialReadOut.model_validate(r) for r in await self.filings.reads_of_unit(unit.id, limit)
        ]

    async def due(self, within_days: int) -> list[FilingDue]:
        """Filings that fall due within ``within_days`` (or are overdue): each system's where the
        unit files, each project's where the firm files (``filing_duties``, as the sweep)."""
        now = self.clock()
        out: list[FilingDue] = []
        unit_ids = await UnitRepository(self.session).active_ids()
        service = FindingService(self.session, self.book, self.clock)
        for i in range(0, len(unit_ids), 1000):
            for rec in await service.records(unit_ids[i : i + 1000]):
                pack = self.book[rec.unit.jurisdiction]
                out.extend(_due_rows(pack, rec, local_today(pack, now), within_days))
        return sorted(out, key=lambda d: (d.due_date, d.unit_name))


def _due_rows(pack: PolicyPack, rec: UnitRecords, today: dt.date, within: int) -> list[FilingDue]:
    filed, _ = filing_progress(rec)
    unit = rec.unit
    return [
        FilingDue(
            unit_id=unit.id,
            unit_name=unit.name,
            district=unit.district,
            system_id=duty.system.id,
            system_name=duty.system.name,
            project_id=duty.project.id if duty.project else None,
            liable=liable_out(duty.liable, unit),
            due_date=duty.due,
            overdue=today > duty.due,
            article=pack.cite(pack.filing.deadline.article),
        )
        for duty in filing_duties(pack, rec)
        if duty.subject_key not in filed
        and duty.due is not None
        and duty.due <= today + dt.timedelta(days=within)
    ]
