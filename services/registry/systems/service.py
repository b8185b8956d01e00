"""Technical-prevention systems: type, acceptance, products, networking, covered places."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import LegalRuleViolation, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack, SystemType
from services.registry.access import visible, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import utc_now
from services.registry.events import system_event
from services.registry.filings.repository import FilingRepository
from services.registry.models import Place, TechSystem, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.systems.repository import SystemRepository
from services.registry.systems.schemas import SystemCreate, SystemRead, SystemUpdate

# A change to these on a filed system means the filing no longer describes it (HRB art. 17).
FILED_CONTENT_FIELDS = frozenset(
    {"place_ids", "acceptance_date", "installer_firm", "products", "networking", "completion_date"}
)


def to_read(system: TechSystem, place_ids: list[uuid.UUID]) -> SystemRead:
    data = {k: getattr(system, k) for k in SystemRead.model_fields if k != "place_ids"}
    return SystemRead.model_validate({**data, "place_ids": place_ids})


class SystemService:
    def __init__(self, session: AsyncSession, book: PolicyBook) -> None:
        self.session = session
        self.book = book
        self.systems = SystemRepository(session)

    async def _places(self, unit: Unit, place_ids: Sequence[uuid.UUID]) -> Sequence[Place]:
        wanted = list(dict.fromkeys(place_ids))
        places = await PlaceRepository(self.session).many(unit.id, wanted)
        missing = set(wanted) - {p.id for p in places}
        if missing:
            raise ValidationFailed.single(
                "place_ids",
                "place-of-this-unit",
                f"unknown places for this unit: {sorted(map(str, missing))}",
            )
        return places

    @staticmethod
    def _check(pack: PolicyPack, system_type: SystemType, places: Sequence[Place]) -> None:
        if system_type not in pack.system_types:
            raise ValidationFailed.single(
                "system_type",
                "known-system-type",
                f"{system_type} is not a system type of {pack.id}",
            )
        if system_type == SystemType.VIDEO:
            for place in places:
                if pack.is_forbidden_camera_place(place.location_type):
                    raise LegalRuleViolation(
                        f"{pack.city} forbids video systems in a {place.location_type} "
                        f"(place {place.name!r})",
                        pack.cite(pack.forbidden_camera_places.article),
                        "place_ids",
                    )

    async def create(self, principal: Principal, unit_id: uuid.UUID, data: SystemCreate) -> SystemRead:
        async with UnitChange(self.session, self.book, principal, unit_id) as change:
            places = await self._places(change.unit, data.place_ids)
            self._check(change.pack, data.system_type, places)
            fields = data.model_dump(exclude={"place_ids"})
            system = TechSystem(id=uuid.uuid4(), unit_id=change.unit.id, **fields)
            await self.systems.add(system)
            place_ids = sorted(p.id for p in places)
            await self.systems.set_places(system.id, place_ids)
            change.publish(system_event(system, place_ids))
        return to_read(system, place_ids)

    async def _system(self, principal: Principal, system_id: uuid.UUID) -> TechSystem:
        return visible(principal, await self.systems.get(system_id), "system")

    async def _place_ids(self, system: TechSystem) -> list[uuid.UUID]:
        return (await self.systems.place_ids([system.id]))[system.id]

    async def read(self, principal: Principal, system_id: uuid.UUID) -> SystemRead:
        system = await self._system(principal, system_id)
        return to_read(system, await self._place_ids(system))

    async def list(self, principal: Principal, unit_id: uuid.UUID) -> list[SystemRead]:
        unit = await visible_unit(self.session, principal, unit_id)
        systems = await self.systems.for_unit(unit.id)
        places = await self.systems.place_ids([s.id for s in systems])
        return [to_read(s, places[s.id]) for s in systems]

    async def update(self, principal: Principal, system_id: uuid.UUID, data: SystemUpdate) -> SystemRead:
        system = await self._system(principal, system_id)
        async with UnitChange(self.session, self.book, principal, system.unit_id) as change:
            changes = data.model_dump(exclude_unset=True)
            current = await self._place_ids(system)
            place_ids = current
            if "place_ids" in changes:
                places = await self._places(change.unit, changes.pop("place_ids"))
                self._check(change.pack, system.system_type, places)
                place_ids = sorted(p.id for p in places)
                await self.systems.set_places(system.id, place_ids)
            content_changed = place_ids != current or any(
                getattr(system, k) != v for k, v in changes.items() if k in FILED_CONTENT_FIELDS
            )
            for key, value in changes.items():
                setattr(system, key, value)
            if content_changed and await FilingRepository(self.session).system_has_filed_filing(system.id):
                system.changed_since_filing = True
            system.updated_at = utc_now()
            change.publish(system_event(system, place_ids))
        return to_read(system, place_ids)

    async def delete(self, principal: Principal, system_id: uuid.UUID) -> None:
        system = await self._system(principal, system_id)
        async with UnitChange(self.session, self.book, principal, system.unit_id) as change:
            change.publish(system_event(system, await self._place_ids(system), removed=True))
            await self.systems.delete(system)
