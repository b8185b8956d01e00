from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from services.registry.models import Place
from services.registry.repository import Repository


class PlaceRepository(Repository):
    async def get(self, place_id: uuid.UUID) -> Place | None:
        return await self.session.get(Place, place_id)

    async def for_unit(self, unit_id: uuid.UUID) -> Sequence[Place]:
        rows = await self.session.scalars(
            select(Place).where(Place.unit_id == unit_id).order_by(Place.created_at, Place.id)
        )
        return rows.all()

    async def many(self, unit_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Place]:
        rows = await self.session.scalars(select(Place).where(Place.unit_id == unit_id, Place.id.in_(ids)))
        return rows.all()

    async def add(self, place: Place) -> Place:
        self.session.add(place)
        await self.session.flush()
        return place

    async def delete(self, place: Place) -> None:
        await self.session.delete(place)
        await self.session.flush()
