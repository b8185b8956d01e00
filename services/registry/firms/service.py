"""Design, construction and maintenance firms (技防工程设计、施工、维修单位) and their projects.

A firm is registered once, by its unified social credit code, and works for many units: it is
not a unit's record. A project is one job of a firm on one system of a unit, completed on a
day, in a district. Where the pack has the firm file (KMG art. 16: "从事技防工程设计、施工和维修
的单位，应当自项目完成之日起10日内到项目所在地县（市、区）公安机关技防管理机构备案"), each project
is a filing the firm owes; where the unit files (HRB art. 14) a project is a record only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, NotFound, ValidationFailed
from jifang.policy import FindingRule, PolicyBook, PolicyPack
from services.registry.access import scoped_unit_filter, visible
from services.registry.change import UnitChange
from services.registry.clock import Clock, local_today, utc_now
from services.registry.filings.repository import FilingRepository
from services.registry.findings.repository import FindingRepository
from services.registry.findings.rules import Liable, project_due_date
from services.registry.findings.service import FindingService, set_liable
from services.registry.firms.repository import FirmRepository
from services.registry.firms.schemas import (
    FirmCreate,
    FirmQuery,
    FirmRead,
    FirmUpdate,
    ProjectCreate,
    ProjectFiling,
    ProjectRead,
)
from services.registry.models import FilingRecord, Firm, FirmProject, LiableParty, ProjectKind
from services.registry.offices import project_office
from services.registry.pagination import ListQuery, Page
from services.registry.systems.repository import SystemRepository

# The findings of a filing that a system's construction firm owed before its project was recorded.
_FILING_RULES = (FindingRule.FILING_MISSING.value, FindingRule.FILING_INCOMPLETE.value)


class FirmService:
    def __init__(self, session: AsyncSession, book: PolicyBook, clock: Clock = utc_now) -> None:
        self.session = session
        self.book = book
        self.clock = clock
        self.firms = FirmRepository(session)

    async def _firm(self, firm_id: uuid.UUID, *, lock: bool = False) -> Firm:
        firm = await self.firms.get(firm_id, for_update=lock)
        if firm is None:
            raise NotFound("No firm with this id")
        return firm

    async def _unique_code(self, uscc: str, firm_id: uuid.UUID | None = None) -> None:
        existing = await self.firms.get_by_uscc(uscc)
        if existing is not None and existing.id != firm_id:
            raise Conflict(f"The firm {existing.id} has the unified social credit code {uscc}")

    async def create(self, principal: Principal, data: FirmCreate) -> FirmRead:
        await self._unique_code(data.uscc)
        firm = Firm(id=uuid.uuid4(), created_by=principal.subject, **data.model_dump())
        await self.firms.add(firm)
        return FirmRead.model_validate(firm)

    async def read(self, firm_id: uuid.UUID) -> FirmRead:
        return FirmRead.model_validate(await self._firm(firm_id))

    async def search(self, query: FirmQuery) -> Page[FirmRead]:
        rows, total, capped = await self.firms.search(query)
        return query.page([FirmRead.model_validate(f) for f in rows], total, capped)

    async def update(self, firm_id: uuid.UUID, data: FirmUpdate) -> FirmRead:
        """The fields given; a new name or code is what the firm's open findings say at once."""
        firm = await self._firm(firm_id, lock=True)
        changes = data.model_dump(exclude_unset=True)
        if "uscc" in changes:
            await self._unique_code(changes["uscc"], firm.id)
        renamed = any(changes.get(k, getattr(firm, k)) != getattr(firm, k) for k in ("name", "uscc"))
        for key, value in changes.items():
            setattr(firm, key, value)
        firm.updated_at = self.clock()
        await self.session.flush()
        if renamed:
            await FindingService(self.session, self.book, self.clock).recompute(
                await self.firms.unit_ids_of_firm(firm.id)
            )
        return FirmRead.model_validate(firm)

    async def add_project(self, principal: Principal, firm_id: uuid.UUID, data: ProjectCreate) -> ProjectRead:
        """Record a firm's project on a system the principal sees; the unit's findings are
        recomputed (a project completed more than 10 days ago and not filed is a finding)."""
        firm = await self._firm(firm_id)
        system = visible(principal, await SystemRepository(self.session).get(data.system_id), "system")
        async with UnitChange(self.session, self.book, principal, system.unit_id, clock=self.clock) as change:
            pack = change.pack
            if data.completion_date > local_today(pack, self.clock()):
                raise ValidationFailed.single(
                    "completion_date", "not-future", "a project is recorded once it is completed"
                )
            project = FirmProject(
                id=uuid.uuid4(),
                firm_id=firm.id,
                unit_id=change.unit.id,
                system_id=system.id,
                kind=data.kind,
                completion_date=data.completion_date,
                district=data.district or change.unit.district,
                description=data.description,
                created_by=principal.subject,
            )
            await self.firms.add_project(project)
            if pack.filing.party == "firm" and project.kind == ProjectKind.CONSTRUCTION:
                await self._name_the_firm(project, firm)
        return (await self._reads([project], {firm.id: firm}))[0]

    async def _name_the_firm(self, project: FirmProject, firm: Firm) -> None:
        """The filing a system's construction firm owed before its project was recorded is this
        project's: the case goes on under the project, naming the firm, with its dates and
        status (a case past its deadline stays so, ruling 3)."""
        for finding in await FindingRepository(self.session).active_for_subject(
            project.unit_id, f"system:{project.system_id}"
        ):
            if finding.rule in _FILING_RULES:
                finding.subject_type, finding.subject_id = "project", project.id
                finding.subject_key = f"project:{project.id}"
                set_liable(finding, Liable.firm(firm))
        await self.session.flush()

    async def projects_of_firm(
        self, principal: Principal, firm_id: uuid.UUID, query: ListQuery
    ) -> Page[ProjectRead]:
        """A unit administrator sees the firm's projects on its own unit's systems only."""
        firm = await self._firm(firm_id)
        rows, total, capped = await self.firms.projects_of_firm(
            firm.id, query, only_unit=scoped_unit_filter(principal)
        )
        return query.page(await self._reads(rows, {firm.id: firm}), total, capped)

    async def projects_of_system(self, principal: Principal, system_id: uuid.UUID) -> list[ProjectRead]:
        system = visible(principal, await SystemRepository(self.session).get(system_id), "system")
        projects = await self.firms.projects_of_system(system.id)
        return await self._reads(projects, await self.firms.many({p.firm_id for p in projects}))

    async def _reads(
        self, projects: Sequence[FirmProject], firms: dict[uuid.UUID, Firm]
    ) -> list[ProjectRead]:
        jurisdictions = await self.firms.jurisdictions({p.unit_id for p in projects})
        filings = await FilingRepository(self.session).latest_for_projects([p.id for p in projects])
        return [
            _project_read(p, firms[p.firm_id], self.book[jurisdictions[p.unit_id]], filings.get(p.id))
            for p in projects
        ]


def _project_read(
    project: FirmProject, firm: Firm, pack: PolicyPack, filing: FilingRecord | None
) -> ProjectRead:
    by_firm = pack.filing.party == "firm"
    return ProjectRead(
        id=project.id,
        firm_id=firm.id,
        firm_name=firm.name,
        firm_uscc=firm.uscc,
        unit_id=project.unit_id,
        system_id=project.system_id,
        kind=project.kind,
        completion_date=project.completion_date,
        district=project.district,
        description=project.description,
        filed_by=LiableParty.FIRM if by_firm else LiableParty.UNIT,
        office=project_office(pack, project.district) if by_firm else None,
        due_date=project_due_date(pack, project) if by_firm else None,
        article=pack.cite(pack.filing.article) if by_firm else None,
        filing=ProjectFiling.model_validate(filing, from_attributes=True) if filing is not None else None,
        created_at=project.created_at,
    )
