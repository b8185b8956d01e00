from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import case, exists, func, insert, select, text

from services.registry.models import (
    ConfidentialRead,
    FilingMaterial,
    FilingRecord,
    FilingStatus,
    filing_systems,
)
from services.registry.repository import Repository


class FilingRepository(Repository):
    async def get(self, filing_id: uuid.UUID, *, for_update: bool = False) -> FilingRecord | None:
        stmt = select(FilingRecord).where(FilingRecord.id == filing_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()

    async def add(self, filing: FilingRecord, system_ids: Sequence[uuid.UUID]) -> FilingRecord:
        self.session.add(filing)
        await self.session.flush()
        await self.session.execute(
            insert(filing_systems), [{"filing_id": filing.id, "system_id": s} for s in system_ids]
        )
        return filing

    async def system_ids(self, filing_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        if not filing_ids:
            return out
        rows = await self.session.execute(
            select(filing_systems.c.filing_id, filing_systems.c.system_id)
            .where(filing_systems.c.filing_id.in_(filing_ids))
            .order_by(filing_systems.c.system_id)
        )
        for fid, sid in rows:
            out[fid].append(sid)
        return out

    async def for_unit(self, unit_id: uuid.UUID) -> Sequence[FilingRecord]:
        rows = await self.session.scalars(
            select(FilingRecord)
            .where(FilingRecord.unit_id == unit_id)
            .order_by(FilingRecord.submitted_at.desc(), FilingRecord.id)
        )
        return rows.all()

    async def for_units(self, unit_ids: Sequence[uuid.UUID]) -> Sequence[FilingRecord]:
        rows = await self.session.scalars(
            select(FilingRecord).where(
                FilingRecord.unit_id.in_(unit_ids), FilingRecord.status != FilingStatus.SUPERSEDED
            )
        )
        return rows.all()

    async def filed_covering(
        self, system_ids: Sequence[uuid.UUID], project_id: uuid.UUID | None
    ) -> Sequence[FilingRecord]:
        """Filed filings a new one replaces: of the same project where the firm files per
        project (KMG art. 16), else those of the same systems naming no project (HRB art. 17)."""
        stmt = select(FilingRecord).where(FilingRecord.status == FilingStatus.FILED)
        if project_id is not None:
            stmt = stmt.where(FilingRecord.project_id == project_id)
        else:
            stmt = (
                stmt.join(filing_systems, filing_systems.c.filing_id == FilingRecord.id)
                .where(filing_systems.c.system_id.in_(system_ids), FilingRecord.project_id.is_(None))
                .distinct()
            )
        return (await self.session.scalars(stmt)).all()

    async def latest_for_projects(self, project_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, FilingRecord]:
        """Each project's filing in force (filed), else its latest one that is not superseded."""
        if not project_ids:
            return {}
        rows = await self.session.scalars(
            select(FilingRecord)
            .where(FilingRecord.project_id.in_(project_ids), FilingRecord.status != FilingStatus.SUPERSEDED)
            .order_by(
                case((FilingRecord.status == FilingStatus.FILED, 0), else_=1),
                FilingRecord.submitted_at.desc(),
                FilingRecord.id,
            )
        )
        out: dict[uuid.UUID, FilingRecord] = {}
        for filing in rows:
            assert filing.project_id is not None
            out.setdefault(filing.project_id, filing)
        return out

    async def system_has_filed_filing(self, system_id: uuid.UUID) -> bool:
        stmt = select(
            exists()
            .where(filing_systems.c.system_id == system_id)
            .where(filing_systems.c.filing_id == FilingRecord.id)
            .where(FilingRecord.status == FilingStatus.FILED)
        )
        return bool(await self.session.scalar(stmt))

    async def materials(self, filing_id: uuid.UUID) -> Sequence[FilingMaterial]:
        rows = await self.session.scalars(
            select(FilingMaterial)
            .where(FilingMaterial.filing_id == filing_id)
            .order_by(FilingMaterial.uploaded_at, FilingMaterial.id)
        )
        return rows.all()

    async def material(self, filing_id: uuid.UUID, material_id: uuid.UUID) -> FilingMaterial | None:
        rows = await self.session.scalars(
            select(FilingMaterial).where(
                FilingMaterial.filing_id == filing_id, FilingMaterial.id == material_id
            )
        )
        return rows.one_or_none()

    async def add_material(self, material: FilingMaterial) -> None:
        self.session.add(material)
        await self.session.flush()

    async def next_receipt_serial(self) -> int:
        return int(await self.session.scalar(text("SELECT nextval('registry.filing_receipt_seq')")) or 0)

    async def count_returned(self) -> int:
        stmt = select(func.count()).where(FilingRecord.status == FilingStatus.RETURNED)
        return int(await self.session.scalar(stmt) or 0)

    async def record_read(self, read: ConfidentialRead) -> None:
        self.session.add(read)
        await self.session.flush()

    async def reads_of_unit(self, unit_id: uuid.UUID, limit: int) -> Sequence[ConfidentialRead]:
        rows = await self.session.scalars(
            select(ConfidentialRead)
            .where(ConfidentialRead.unit_id == unit_id)
            .order_by(ConfidentialRead.read_at.desc(), ConfidentialRead.id)
            .limit(limit)
        )
        return rows.all()
