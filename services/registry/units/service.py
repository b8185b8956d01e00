"""Units: the organisations that must install technical-prevention systems."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role
from jifang.errors import Conflict, Forbidden, NotFound, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack
from jifang.v1 import registry_pb2
from services.registry.access import ensure_unit_visible, scoped_unit_filter
from services.registry.devices.repository import DeviceRepository
from services.registry.events import place_event, publish
from services.registry.findings.service import FindingService
from services.registry.models import Place, SecurityAffiliation, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.units.repository import UNIT_SORTS, UnitRepository
from services.registry.units.schemas import UnitCreate, UnitRead, UnitUpdate

TECH_OFFICE_FIELDS = frozenset(
    {"jurisdiction", "security_affiliation", "affiliation_district", "is_business", "district"}
)


def filing_office(unit: Unit, pack: PolicyPack) -> str:
    """Where the unit files (HRB art. 14: by security affiliation; KMG art. 16: by location)."""
    if pack.filing.office_rule == "security_affiliation":
        if unit.security_affiliation == SecurityAffiliation.CITY:
            return f"{pack.city_zh}公安局技防管理机构"
        if unit.security_affiliation == SecurityAffiliation.DISTRICT and unit.affiliation_district:
            return f"{pack.city_zh}{unit.affiliation_district}公安（分）局技防管理机构"
    return f"{pack.city_zh}{unit.district}公安（分）局技防管理机构"


def pack_for(book: PolicyBook, jurisdiction: str, field: str = "jurisdiction") -> PolicyPack:
    if jurisdiction not in book:
        raise ValidationFailed.single(
            field,
            "known-policy-pack",
            f"unknown jurisdiction {jurisdiction!r}; known: {', '.join(book.ids())}",
        )
    return book[jurisdiction]


def to_read(unit: Unit, book: PolicyBook) -> UnitRead:
    return UnitRead.model_validate(
        {
            **{k: getattr(unit, k) for k in UnitRead.model_fields if k != "filing_office"},
            "filing_office": filing_office(unit, book[unit.jurisdiction]),
        }
    )


def unit_event(unit: Unit, book: PolicyBook) -> registry_pb2.UnitChanged:
    return registry_pb2.UnitChanged(
        name=unit.name,
        uscc=unit.uscc,
        district=unit.district,
        is_business=unit.is_business,
        security_affiliation=unit.security_affiliation.value,
        filing_office=filing_office(unit, book[unit.jurisdiction]),
        jurisdiction=unit.jurisdiction,
    )


class UnitService:
    def __init__(self, session: AsyncSession, book: PolicyBook) -> None:
        self.session = session
        self.book = book
        self.units = UnitRepository(session)

    async def create(self, data: UnitCreate) -> Unit:
        pack_for(self.book, data.jurisdiction)
        if await self.units.get_by_uscc(data.uscc):
            raise Conflict(f"A unit with the unified social credit code {data.uscc} exists")
        unit = Unit(id=uuid.uuid4(), **data.model_dump())
        await self.units.add(unit)
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=unit_event(unit, self.book),
        )
        return unit

    async def get(self, principal: Principal, unit_id: uuid.UUID, *, for_update: bool = False) -> Unit:
        ensure_unit_visible(principal, unit_id)
        unit = await self.units.get(unit_id, for_update=for_update)
        if unit is None:
            raise NotFound("No unit with this id")
        return unit

    async def update(self, principal: Principal, unit_id: uuid.UUID, data: UnitUpdate) -> Unit:
        unit = await self.get(principal, unit_id, for_update=True)
        changes = data.model_dump(exclude_unset=True)
        if not principal.has(Role.TECH_OFFICE):
            # What decides the applicable law and the filing office is the bureau's to set.
            reserved = sorted(set(changes) & TECH_OFFICE_FIELDS)
            if reserved:
                raise Forbidden(f"Only the tech office may change: {', '.join(reserved)}")
        moved_places: list[Place] = []
        if "jurisdiction" in changes and changes["jurisdiction"] != unit.jurisdiction:
            moved_places = await self._recategorise_places(
                unit, self.book[unit.jurisdiction], pack_for(self.book, changes["jurisdiction"])
            )
        if changes.get("district") not in (None, unit.district):
            await DeviceRepository(self.session).set_district(unit.id, changes["district"])
        for key, value in changes.items():
            setattr(unit, key, value)
        if unit.security_affiliation == SecurityAffiliation.DISTRICT and not unit.affiliation_district:
            raise ValidationFailed.single(
                "affiliation_district",
                "required-with-district-affiliation",
                "affiliation_district is required when security_affiliation is district",
            )
        unit.updated_at = datetime.now(UTC)
        await self.session.flush()
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=unit_event(unit, self.book),
        )
        for place in moved_places:
            publish(self.session, unit_id=unit.id, jurisdiction=unit.jurisdiction, body=place_event(place))
        # The applicable law may have changed: re-evaluate now.
        await FindingService(self.session, self.book).recompute_unit(unit)
        return unit

    async def _recategorise_places(self, unit: Unit, old: PolicyPack, new: PolicyPack) -> list[Place]:
        """Place categories are a pack's own: a unit that moves takes each place's equivalent
        category in the new pack (by shared tags); where none is unambiguous, it is refused."""
        changed, unmapped = [], []
        for place in await PlaceRepository(self.session).for_unit(unit.id):
            if place.category is None or new.category(place.category) is not None:
                continue
            current = old.category(place.category)
            target = new.equivalent_category(current) if current else None
            if target is None:
                unmapped.append(place.name)
                continue
            place.category = target.code
            changed.append(place)
        if unmapped:
            raise ValidationFailed.single(
                "jurisdiction",
                "places-fit-pack",
                f"no unambiguous {new.id} category for these places; set their category to none "
                f"first: {', '.join(unmapped)}",
            )
        return changed

    async def list(
        self,
        principal: Principal,
        *,
        district: str | None,
        jurisdiction: str | None,
        q: str | None,
        sort: str,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Unit], int, bool]:
        if sort.lstrip("-") not in UNIT_SORTS:
            raise ValidationFailed.single(
                "sort", "allowed-sort", f"sort by one of {sorted(UNIT_SORTS)}, '-' for descending"
            )
        return await self.units.search(
            only_unit=scoped_unit_filter(principal),
            district=district,
            jurisdiction=jurisdiction,
            q=q,
            sort=sort,
            limit=limit,
            offset=offset,
        )
