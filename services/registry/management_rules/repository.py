from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from services.registry.models import ManagementRuleDocument
from services.registry.repository import Repository


class ManagementRuleRepository(Repository):
    async def current(self, unit_id: uuid.UUID) -> dict[str, ManagementRuleDocument]:
        """The unit's current version of each kind on file, by kind."""
        rows = await self.session.scalars(
            select(ManagementRuleDocument).where(
                ManagementRuleDocument.unit_id == unit_id, ManagementRuleDocument.superseded_at.is_(None)
            )
        )
        return {d.kind.value: d for d in rows}

    async def current_of(self, unit_id: uuid.UUID, kind: str) -> ManagementRuleDocument | None:
        return (await self.current(unit_id)).get(kind)

    async def versions(self, unit_id: uuid.UUID) -> Sequence[ManagementRuleDocument]:
        """Every version the unit uploaded, of every kind, newest first."""
        rows = await self.session.scalars(
            select(ManagementRuleDocument)
            .where(ManagementRuleDocument.unit_id == unit_id)
            .order_by(ManagementRuleDocument.uploaded_at.desc(), ManagementRuleDocument.id)
        )
        return rows.all()

    async def replace(
        self, current: ManagementRuleDocument | None, new: ManagementRuleDocument, at: datetime
    ) -> None:
        """``new`` becomes the kind's current version; ``current`` (if any) is kept, superseded."""
        if current is not None:
            current.superseded_at = at
            # Before the new row: one current version per unit and kind (a unique index).
            await self.session.flush()
        self.session.add(new)
        await self.session.flush()
