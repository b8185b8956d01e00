from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select

from services.registry.models import TechSystem, system_places
from services.registry.repository import Repository


class SystemRepository(Repository):
    async def get(self, system_id: uuid.UUID) -> TechSystem | None:
        return await self.session.get(TechSystem, system_id)

    async def for_unit(self, unit_id: uuid.UUID) -> Sequence[TechSystem]:
        rows = await self.session.scalars(
            select(TechSystem)
            .where(TechSystem.unit_id == unit_id)
            .order_by(TechSystem.created_at, TechSystem.id)
        )
        return rows.all()

    async def many(self, unit_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> Sequence[TechSystem]:
        rows = await self.session.scalars(
            select(TechSystem).where(TechSystem.unit_id == unit_id, TechSystem.id.in_(list(ids)))
        )
        return rows.all()

    async def covering_place(self, place_id: uuid.UUID) -> Sequence[TechSystem]:
        rows = await self.session.scalars(
            select(TechSystem)
            .join(system_places, system_places.c.system_id == TechSystem.id)
            .where(system_places.c.place_id == place_id)
        )
        return rows.all()

    async def place_ids(self, system_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        out: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        if not system_ids:
            return out
        rows = await self.session.execute(
            select(system_places.c.system_id, system_places.c.place_id)
            .where(system_places.c.system_id.in_(system_ids))
            .order_by(system_places.c.place_id)
        )
        for sid, pid in rows:
            out[sid].append(pid)
        return out

    async def add(self, system: TechSystem) -> TechSystem:
        self.session.add(system)
        await self.session.flush()
        return system

    async def set_places(self, system_id: uuid.UUID, place_ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(delete(system_places).where(system_places.c.system_id == system_id))
        if place_ids:
            await self.session.execute(
                insert(system_places), [{"system_id": system_id, "place_id": p} for p in place_ids]
            )

    async def delete(self, system: TechSystem) -> None:
        await self.session.delete(system)
        await self.session.flush()
