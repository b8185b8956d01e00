from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import or_, select

from services.registry.firms.schemas import FirmQuery
from services.registry.models import Firm, FirmProject, Unit
from services.registry.pagination import ListQuery
from services.registry.repository import Repository, sorted_by


class FirmRepository(Repository):
    async def get(self, firm_id: uuid.UUID, *, for_update: bool = False) -> Firm | None:
        stmt = select(Firm).where(Firm.id == firm_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def get_by_uscc(self, uscc: str) -> Firm | None:
        return (await self.session.scalars(select(Firm).where(Firm.uscc == uscc))).one_or_none()

    async def many(self, firm_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Firm]:
        if not firm_ids:
            return {}
        rows = await self.session.scalars(select(Firm).where(Firm.id.in_(list(firm_ids))))
        return {f.id: f for f in rows}

    async def add(self, firm: Firm) -> Firm:
        self.session.add(firm)
        await self.session.flush()
        return firm

    async def search(self, query: FirmQuery) -> tuple[Sequence[Firm], int, bool]:
        stmt = select(Firm)
        if query.q:
            stmt = stmt.where(
                or_(
                    Firm.name.contains(query.q, autoescape=True),
                    Firm.uscc.startswith(query.q.upper(), autoescape=True),
                )
            )
        return await self.page(stmt, sorted_by(Firm, query.sort), query)

    async def project(self, project_id: uuid.UUID) -> FirmProject | None:
        return await self.session.get(FirmProject, project_id)

    async def add_project(self, project: FirmProject) -> FirmProject:
        self.session.add(project)
        await self.session.flush()
        return project

    async def projects_of_firm(
        self, firm_id: uuid.UUID, query: ListQuery, *, only_unit: uuid.UUID | None
    ) -> tuple[Sequence[FirmProject], int, bool]:
        stmt = select(FirmProject).where(FirmProject.firm_id == firm_id)
        if only_unit is not None:
            stmt = stmt.where(FirmProject.unit_id == only_unit)
        newest_first = (FirmProject.completion_date.desc(), FirmProject.id.asc())
        return await self.page(stmt, newest_first, query)

    async def projects_of_system(self, system_id: uuid.UUID) -> Sequence[FirmProject]:
        rows = await self.session.scalars(
            select(FirmProject)
            .where(FirmProject.system_id == system_id)
            .order_by(FirmProject.completion_date.desc(), FirmProject.id)
        )
        return rows.all()

    async def unit_ids_of_firm(self, firm_id: uuid.UUID) -> Sequence[uuid.UUID]:
        rows = await self.session.scalars(
            select(FirmProject.unit_id).where(FirmProject.firm_id == firm_id).distinct()
        )
        return rows.all()

    async def jurisdictions(self, unit_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not unit_ids:
            return {}
        rows = await self.session.execute(
            select(Unit.id, Unit.jurisdiction).where(Unit.id.in_(list(unit_ids)))
        )
        return {uid: jurisdiction for uid, jurisdiction in rows}
