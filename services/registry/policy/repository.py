from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import LocationType, PolicyBook
from services.registry.models import ForbiddenPlaceAddition
from services.registry.repository import Repository


class ForbiddenPlaceRepository(Repository):
    async def additions(self) -> dict[str, dict[LocationType, str]]:
        """Every pack's added place types, with their reasons."""
        out: dict[str, dict[LocationType, str]] = {}
        for row in await self.session.scalars(select(ForbiddenPlaceAddition)):
            out.setdefault(row.jurisdiction, {})[row.location_type] = row.reason
        return out

    async def of_pack(self, jurisdiction: str) -> Sequence[ForbiddenPlaceAddition]:
        rows = await self.session.scalars(
            select(ForbiddenPlaceAddition)
            .where(ForbiddenPlaceAddition.jurisdiction == jurisdiction)
            .order_by(ForbiddenPlaceAddition.location_type)
        )
        return rows.all()

    async def put(self, addition: ForbiddenPlaceAddition) -> None:
        await self.session.merge(addition)
        await self.session.flush()

    async def remove(self, jurisdiction: str, location_type: LocationType) -> bool:
        result = await self.session.execute(
            delete(ForbiddenPlaceAddition).where(
                ForbiddenPlaceAddition.jurisdiction == jurisdiction,
                ForbiddenPlaceAddition.location_type == location_type,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def applied_book(session: AsyncSession, book: PolicyBook) -> PolicyBook:
    """The packs as the registry applies them now: with the place types the tech office added to
    the forbidden lists (ruling 5), read in the caller's transaction (at once, on every replica)."""
    return book.with_forbidden_added(await ForbiddenPlaceRepository(session).additions())
