"""Technical-prevention systems: type, acceptance, products, networking, covered places."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack, SystemType
from jifang.v1 import registry_pb2
from services.registry.events import publish
from services.registry.filings.repository import FilingRepository
from services.registry.findings.service import FindingService
from services.registry.models import Place, TechSystem, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.systems.repository import SystemRepository
from services.registry.systems.schemas import SystemCreate, SystemRead, SystemUpdate
from services.registry.units.service import UnitService

# A change to these on a filed system means the filing no longer describes it (HRB art. 17).
FILED_CONTENT_FIELDS = frozenset(
    {"place_ids", "acceptance_date", "installer_firm", "products", "networking", "completion_date"}
)


def to_read(system: TechSystem, place_ids: list[uuid.UUID]) -> SystemRead:
    data = {k: getattr(system, k) for k in SystemRead.model_fields if k != "place_ids"}
    return SystemRead.model_validate({**data, "place_ids": place_ids})


def system_event(system: TechSystem, place_ids: Sequence[uuid.UUID]) -> registry_pb2.SystemChanged:
    return registry_pb2.SystemChanged(
        system_id=str(system.id),
        system_type=system.system_type.value,
        name=system.name,
        acceptance_date=system.acceptance_date.isoformat() if system.acceptance_date else "",
        networking=system.networking.value,
        place_ids=[str(p) for p in place_ids],
        in_use=system.in_use,
    )


class SystemService:
    def __init__(self, session: AsyncSession, book: PolicyBook) -> None:
        self.session = session
        self.book = book
        self.systems = SystemRepository(session)
        self.units = UnitService(session, book)

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
        unit = await self.units.get(principal, unit_id, for_update=True)
        pack = self.book[unit.jurisdiction]
        places = await self._places(unit, data.place_ids)
        self._check(pack, data.system_type, places)
        fields = data.model_dump(exclude={"place_ids"})
        system = TechSystem(id=uuid.uuid4(), unit_id=unit.id, **fields)
        await self.systems.add(system)
        place_ids = sorted(p.id for p in places)
        await self.systems.set_places(system.id, place_ids)
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=system_event(system, place_ids),
        )
        await FindingService(self.session, self.book).recompute_unit(unit)
        return to_read(system, place_ids)

    async def get(
        self, principal: Principal, system_id: uuid.UUID, *, lock_unit: bool = False
    ) -> tuple[TechSystem, Unit]:
        system = await self.systems.get(system_id)
        if system is None or (principal.is_unit_scoped and principal.unit_id != system.unit_id):
            raise NotFound("No system with this id")
        unit = await self.units.get(principal, system.unit_id, for_update=lock_unit)
        return system, unit

    async def read(self, principal: Principal, system_id: uuid.UUID) -> SystemRead:
        system, _ = await self.get(principal, system_id)
        return to_read(system, (await self.systems.place_ids([system.id]))[system.id])

    async def list(self, principal: Principal, unit_id: uuid.UUID) -> list[SystemRead]:
        unit = await self.units.get(principal, unit_id)
        systems = await self.systems.for_unit(unit.id)
        places = await self.systems.place_ids([s.id for s in systems])
        return [to_read(s, places[s.id]) for s in systems]

    async def update(self, principal: Principal, system_id: uuid.UUID, data: SystemUpdate) -> SystemRead:
        system, unit = await self.get(principal, system_id, lock_unit=True)
        pack = self.book[unit.jurisdiction]
        changes = data.model_dump(exclude_unset=True)
        current = (await self.systems.place_ids([system.id]))[system.id]
        place_ids = current
        if "place_ids" in changes:
            places = await self._places(unit, changes.pop("place_ids"))
            self._check(pack, system.system_type, places)
            place_ids = sorted(p.id for p in places)
            await self.systems.set_places(system.id, place_ids)
        content_changed = place_ids != current or any(
            getattr(system, k) != v for k, v in changes.items() if k in FILED_CONTENT_FIELDS
        )
        for key, value in changes.items():
            setattr(system, key, value)
        if content_changed and await _has_filing(self.session, system.id):
            system.changed_since_filing = True
        system.updated_at = datetime.now(UTC)
        await self.session.flush()
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=system_event(system, place_ids),
        )
        await FindingService(self.session, self.book).recompute_unit(unit)
        return to_read(system, place_ids)

    async def delete(self, principal: Principal, system_id: uuid.UUID) -> None:
        system, unit = await self.get(principal, system_id, lock_unit=True)
        event = system_event(system, (await self.systems.place_ids([system.id]))[system.id])
        event.removed = True
        await self.systems.delete(system)
        publish(self.session, unit_id=unit.id, jurisdiction=unit.jurisdiction, body=event)
        await FindingService(self.session, self.book).recompute_unit(unit)


async def _has_filing(session: AsyncSession, system_id: uuid.UUID) -> bool:
    return await FilingRepository(session).system_has_filed_filing(system_id)
