"""Units: the organisations that must install technical-prevention systems."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role
from jifang.errors import Conflict, Forbidden, ValidationFailed
from jifang.policy import PolicyBook, PolicyPack
from services.registry.access import scoped_unit_filter, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import local_today, utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.events import place_event, publish, unit_event
from services.registry.models import Place, SecurityAffiliation, Unit
from services.registry.offices import filing_office
from services.registry.places.repository import PlaceRepository
from services.registry.units.repository import UnitRepository
from services.registry.units.schemas import UnitClose, UnitCreate, UnitQuery, UnitRead, UnitStatus, UnitUpdate

TECH_OFFICE_FIELDS = frozenset(
    {"jurisdiction", "security_affiliation", "affiliation_district", "is_business", "district"}
)


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
            **{k: getattr(unit, k) for k in UnitRead.model_fields if k not in ("filing_office", "status")},
            "filing_office": filing_office(unit, book[unit.jurisdiction]),
            "status": UnitStatus.CLOSED if unit.closed_at is not None else UnitStatus.ACTIVE,
        }
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
        # A new unit has no places, systems or filings yet: nothing to lock, nothing to find.
        publish(self.session, unit, unit_event(unit, self.book))
        return unit

    async def get(self, principal: Principal, unit_id: uuid.UUID) -> Unit:
        return await visible_unit(self.session, principal, unit_id)

    async def update(self, principal: Principal, unit_id: uuid.UUID, data: UnitUpdate) -> Unit:
        async with UnitChange(self.session, self.book, principal, unit_id) as change:
            unit = change.unit
            changes = data.model_dump(exclude_unset=True)
            if not principal.has(Role.TECH_OFFICE):
                # What decides the applicable law and the filing office is the bureau's to set.
                reserved = sorted(set(changes) & TECH_OFFICE_FIELDS)
                if reserved:
                    raise Forbidden(f"Only the tech office may change: {', '.join(reserved)}")
            moved_places: list[Place] = []
            if "jurisdiction" in changes and changes["jurisdiction"] != unit.jurisdiction:
                moved_places = await self._recategorise_places(
                    unit, change.pack, pack_for(self.book, changes["jurisdiction"])
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
            unit.updated_at = utc_now()
            # The applicable law may have changed: the change recomputes the findings.
            change.publish(unit_event(unit, self.book))
            for place in moved_places:
                change.publish(place_event(place))
        return unit

    async def _recategorise_places(self, unit: Unit, old: PolicyPack, new: PolicyPack) -> list[Place]:
        """Place categories are a pack's own: a unit that moves takes, for each place, the one
        category of the new pack that truly corresponds (naming everything the place is). Where
        none does, the place is marked for re-classification by the tech office and has no
        category meanwhile: a person decides, not a guess (and it is not a legal finding)."""
        changed = []
        for place in await PlaceRepository(self.session).for_unit(unit.id):
            if place.category is None or new.category(place.category) is not None:
                continue
            current = old.category(place.category)
            target = new.equivalent_category(current, place.tags or ()) if current else None
            if target is None:
                place.reclassify_from = (
                    f"{old.cite(current.article)} ({current.code})" if current else place.category
                )
                place.category, place.tags = None, []
            else:
                place.category = target.code
            changed.append(place)
        return changed

    async def close(self, principal: Principal, unit_id: uuid.UUID, data: UnitClose) -> Unit:
        """Close (注销) a unit: its records stay, read-only; its devices are no longer watched
        or checked, and its findings stay as they stand (the office decides their end)."""
        async with UnitChange(self.session, self.book, principal, unit_id, recompute=False) as change:
            unit = change.unit
            now = utc_now()
            today = local_today(change.pack, now)
            if data.closed_on is not None and data.closed_on > today:
                raise ValidationFailed.single("closed_on", "not-future", "closed_on cannot be after today")
            unit.closed_at = now
            unit.closed_on = data.closed_on or today
            unit.closed_reason = data.reason
            unit.closed_by = principal.subject
            unit.updated_at = now
            change.publish(unit_event(unit, self.book))
        return unit

    async def list(self, principal: Principal, query: UnitQuery) -> tuple[Sequence[Unit], int, bool]:
        return await self.units.search(query, only_unit=scoped_unit_filter(principal))
