from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from jifang.policy import LocationType
from services.registry.findings.schemas import FindingQuery
from services.registry.models import (
    ACTIVE_FINDING_STATUSES,
    Device,
    DeviceKind,
    FilingRecord,
    FilingStatus,
    Finding,
    Firm,
    FirmProject,
    Inspection,
    ManagementRuleDocument,
    Place,
    TechSystem,
    Unit,
    filing_systems,
    system_places,
)
from services.registry.repository import Repository, where_equal


class FindingRepository(Repository):
    async def get(self, finding_id: uuid.UUID, *, for_update: bool = False) -> Finding | None:
        stmt = select(Finding).where(Finding.id == finding_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def active_for_units(
        self, unit_ids: Sequence[uuid.UUID], rules: Collection[str] | None = None
    ) -> Sequence[Finding]:
        """Active findings of the units (of these rules only, if given)."""
        stmt = select(Finding).where(
            Finding.unit_id.in_(unit_ids), Finding.status.in_(ACTIVE_FINDING_STATUSES)
        )
        if rules is not None:
            stmt = stmt.where(Finding.rule.in_(list(rules)))
        return (await self.session.scalars(stmt)).all()

    async def active_for_subject(self, unit_id: uuid.UUID, subject_key: str) -> Sequence[Finding]:
        rows = await self.session.scalars(
            select(Finding)
            .where(
                Finding.unit_id == unit_id,
                Finding.subject_key == subject_key,
                Finding.status.in_(ACTIVE_FINDING_STATUSES),
            )
            .with_for_update()
        )
        return rows.all()

    def add(self, finding: Finding) -> None:
        """Staged: a recomputation flushes its findings together."""
        self.session.add(finding)

    async def search(
        self, query: FindingQuery, *, only_unit: uuid.UUID | None
    ) -> tuple[Sequence[Finding], int, bool]:
        stmt = where_equal(
            select(Finding),
            (Finding.unit_id, only_unit),
            (Finding.unit_id, query.unit_id),
            (Finding.status, query.status),
            (Finding.rule, query.rule.value if query.rule else None),
            (Finding.liable_firm_id, query.firm_id),
        )
        if query.district:
            stmt = stmt.where(Finding.unit_id.in_(select(Unit.id).where(Unit.district == query.district)))
        if query.article:
            stmt = stmt.where(Finding.articles.contains([query.article]))
        newest_first = (Finding.detected_at.desc(), Finding.id.asc())
        return await self.page(stmt, newest_first, query)

    # --- bulk loading for recomputation ---

    async def units(self, unit_ids: Sequence[uuid.UUID], *, for_update: bool = False) -> Sequence[Unit]:
        stmt = select(Unit).where(Unit.id.in_(unit_ids))
        if for_update:
            # The same lock every change to a unit takes: recomputations never race each other.
            stmt = stmt.order_by(Unit.id).with_for_update()
        return (await self.session.scalars(stmt)).all()

    async def places(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[Place]:
        return (await self.session.scalars(select(Place).where(Place.unit_id.in_(unit_ids)))).all()

    async def systems(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[TechSystem]:
        rows = await self.session.scalars(select(TechSystem).where(TechSystem.unit_id.in_(unit_ids)))
        return rows.all()

    async def system_places(self, unit_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = await self.session.execute(
            select(system_places.c.system_id, system_places.c.place_id)
            .join(TechSystem, TechSystem.id == system_places.c.system_id)
            .where(TechSystem.unit_id.in_(unit_ids))
        )
        return [(s, p) for s, p in rows]

    async def filings(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[FilingRecord]:
        rows = await self.session.scalars(
            select(FilingRecord).where(
                FilingRecord.unit_id.in_(unit_ids), FilingRecord.status != FilingStatus.SUPERSEDED
            )
        )
        return rows.all()

    async def filing_systems(self, unit_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = await self.session.execute(
            select(filing_systems.c.filing_id, filing_systems.c.system_id)
            .join(FilingRecord, FilingRecord.id == filing_systems.c.filing_id)
            .where(FilingRecord.unit_id.in_(unit_ids))
        )
        return [(f, s) for f, s in rows]

    async def projects(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[FirmProject]:
        rows = await self.session.scalars(select(FirmProject).where(FirmProject.unit_id.in_(unit_ids)))
        return rows.all()

    async def firms(self, firm_ids: Collection[uuid.UUID]) -> Sequence[Firm]:
        if not firm_ids:
            return []
        return (await self.session.scalars(select(Firm).where(Firm.id.in_(list(firm_ids))))).all()

    async def cameras_in(
        self, unit_ids: Sequence[uuid.UUID], location_types: Sequence[LocationType]
    ) -> Sequence[Device]:
        if not location_types:
            return []
        rows = await self.session.scalars(
            select(Device).where(
                Device.unit_id.in_(unit_ids),
                Device.kind == DeviceKind.CAMERA,
                Device.location_type.in_(location_types),
            )
        )
        return rows.all()

    async def latest_rules_inspections(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[Inspection]:
        """Each unit's last inspection record that found its management rules."""
        rows = await self.session.scalars(
            select(Inspection)
            .where(Inspection.unit_id.in_(unit_ids), Inspection.management_rules.is_not(None))
            .ext(distinct_on(Inspection.unit_id))
            .order_by(Inspection.unit_id, Inspection.created_at.desc(), Inspection.id.desc())
        )
        return rows.all()

    async def current_rule_documents(
        self, unit_ids: Sequence[uuid.UUID]
    ) -> Sequence[tuple[uuid.UUID, str, uuid.UUID]]:
        """(unit, kind, document) of every management rule on file now."""
        rows = await self.session.execute(
            select(
                ManagementRuleDocument.unit_id, ManagementRuleDocument.kind, ManagementRuleDocument.id
            ).where(
                ManagementRuleDocument.unit_id.in_(unit_ids), ManagementRuleDocument.superseded_at.is_(None)
            )
        )
        return [(u, k.value, d) for u, k, d in rows]

    async def count_active_by_rule_and_district(self) -> list[tuple[str, str, str, int]]:
        """(rule, status, the unit's district, active findings): each finding once."""
        rows = await self.session.execute(
            select(Finding.rule, Finding.status, Unit.district, func.count())
            .join(Unit, Unit.id == Finding.unit_id)
            .where(Finding.status.in_(ACTIVE_FINDING_STATUSES))
            .group_by(Finding.rule, Finding.status, Unit.district)
        )
        return [(r, s.value if hasattr(s, "value") else str(s), d, n) for r, s, d, n in rows]

    async def count_active_by_article(self) -> list[tuple[str, str, int]]:
        art = func.unnest(Finding.articles).label("article")
        sub = select(Finding.status, art).where(Finding.status.in_(ACTIVE_FINDING_STATUSES)).subquery()
        rows = await self.session.execute(
            select(sub.c.status, sub.c.article, func.count()).group_by(sub.c.status, sub.c.article)
        )
        return [(s.value if hasattr(s, "value") else str(s), a, n) for s, a, n in rows]
