"""Places within a unit, each in a mandated category of the unit's pack, or none."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import LocationType, PolicyBook, PolicyPack, SystemType
from services.registry.access import visible, visible_unit
from services.registry.change import UnitChange
from services.registry.clock import utc_now
from services.registry.events import place_event
from services.registry.models import Place, PlaceKind, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.places.schemas import (
    PlaceCreate,
    PlaceExemption,
    PlaceExemptionSet,
    PlaceRead,
    PlaceUpdate,
)
from services.registry.systems.repository import SystemRepository


def to_read(place: Place, pack: PolicyPack) -> PlaceRead:
    category = pack.category(place.category) if place.category else None
    own = {name: getattr(place, name) for name in PlaceRead.model_fields if name not in _DERIVED}
    return PlaceRead(
        **own,
        category_article=pack.cite(category.article) if category else None,
        tags=list(place.tags or []),
        exemptions=[
            PlaceExemption(system_type=SystemType(t), **e)
            for t, e in sorted((place.exemptions or {}).items())
        ],
    )


_DERIVED = frozenset({"category_article", "exemptions", "tags"})


def check_place_fields(
    pack: PolicyPack,
    kind: PlaceKind,
    category: str | None,
    vehicle_category: str | None,
    tags: Sequence[str] = (),
) -> None:
    if category is not None and pack.category(category) is None:
        raise ValidationFailed.single(
            "category",
            "known-place-category",
            f"{category!r} is not a mandated place category of {pack.id} (each with its name and "
            f"article: GET /api/v1/policy/{pack.id}); known: "
            + ", ".join(c.code for c in pack.place_categories),
        )
    known_tags = set(cat.tags) if category and (cat := pack.category(category)) else set()
    unknown = [t for t in tags if t not in known_tags]
    if unknown:
        raise ValidationFailed.single(
            "tags",
            "category-tags",
            f"{', '.join(unknown)}: not what a place of category {category or 'none'} can be; its tags: "
            + (", ".join(sorted(known_tags)) or "none"),
        )
    if vehicle_category is not None:
        if kind != PlaceKind.VEHICLE:
            raise ValidationFailed.single(
                "vehicle_category", "vehicle-only", "vehicle_category applies to kind 'vehicle'"
            )
        known = [v.code for v in pack.vehicles.categories]
        if vehicle_category not in known:
            raise ValidationFailed.single(
                "vehicle_category",
                "known-vehicle-category",
                f"{vehicle_category!r} is not a vehicle category of {pack.id}; known: {', '.join(known)}",
            )


class PlaceService:
    def __init__(self, session: AsyncSession, book: PolicyBook) -> None:
        self.session = session
        self.book = book
        self.places = PlaceRepository(session)

    async def create(
        self, principal: Principal, unit_id: uuid.UUID, data: PlaceCreate
    ) -> tuple[Place, PolicyPack]:
        async with UnitChange(self.session, self.book, principal, unit_id) as change:
            check_place_fields(change.pack, data.kind, data.category, data.vehicle_category, data.tags)
            place = Place(id=uuid.uuid4(), unit_id=change.unit.id, **data.model_dump())
            await self.places.add(place)
            change.publish(place_event(place))
        return place, change.pack

    async def _place(self, principal: Principal, place_id: uuid.UUID) -> Place:
        return visible(principal, await self.places.get(place_id), "place")

    async def get(self, principal: Principal, place_id: uuid.UUID) -> tuple[Place, Unit]:
        place = await self._place(principal, place_id)
        return place, await visible_unit(self.session, principal, place.unit_id)

    async def list(self, principal: Principal, unit_id: uuid.UUID) -> tuple[Sequence[Place], PolicyPack]:
        unit = await visible_unit(self.session, principal, unit_id)
        return await self.places.for_unit(unit.id), self.book[unit.jurisdiction]

    async def update(
        self, principal: Principal, place_id: uuid.UUID, data: PlaceUpdate
    ) -> tuple[Place, PolicyPack]:
        place = await self._place(principal, place_id)
        async with UnitChange(self.session, self.book, principal, place.unit_id) as change:
            changes = data.model_dump(exclude_unset=True)
            category = changes.get("category", place.category)
            if "category" in changes and changes["category"] != place.category and "tags" not in changes:
                changes["tags"] = []  # what it was under the old category says nothing now
            check_place_fields(
                change.pack,
                place.kind,
                category,
                changes.get("vehicle_category", place.vehicle_category),
                changes.get("tags", place.tags or []),
            )
            if "category" in changes:
                place.reclassify_from = None  # the office has classified it
            new_location = changes.get("location_type", place.location_type)
            if new_location != place.location_type:
                await self._check_video_not_forbidden(change.pack, place, new_location)
            for key, value in changes.items():
                setattr(place, key, value)
            change.publish(place_event(place))
        return place, change.pack

    async def delete(self, principal: Principal, place_id: uuid.UUID) -> None:
        place = await self._place(principal, place_id)
        async with UnitChange(self.session, self.book, principal, place.unit_id) as change:
            change.publish(place_event(place, removed=True))
            await self.places.delete(place)

    async def exempt(
        self, principal: Principal, place_id: uuid.UUID, system_type: SystemType, data: PlaceExemptionSet
    ) -> tuple[Place, PolicyPack]:
        """Record that a listed system type does not apply to the place (the "等" of HRB art. 7)."""
        place = await self._place(principal, place_id)
        async with UnitChange(self.session, self.book, principal, place.unit_id) as change:
            _check_exemptible(change.pack, place, system_type)
            recorded = {
                "reason": data.reason,
                "recorded_by": principal.subject,
                "recorded_at": utc_now().isoformat(),
            }
            place.exemptions = {**(place.exemptions or {}), system_type.value: recorded}
        return place, change.pack

    async def unexempt(self, principal: Principal, place_id: uuid.UUID, system_type: SystemType) -> None:
        """Withdraw an exemption: the place's finding asks for the type again."""
        place = await self._place(principal, place_id)
        async with UnitChange(self.session, self.book, principal, place.unit_id):
            if system_type.value not in (place.exemptions or {}):
                raise NotFound(f"No exemption from {system_type.value} is recorded for this place")
            place.exemptions = {t: e for t, e in place.exemptions.items() if t != system_type.value}

    async def _check_video_not_forbidden(
        self, pack: PolicyPack, place: Place, location: LocationType | None
    ) -> None:
        if not pack.is_forbidden_camera_place(location):
            return
        systems = await SystemRepository(self.session).covering_place(place.id)
        if any(s.system_type == SystemType.VIDEO for s in systems):
            rule = pack.forbidden_camera_places
            raise LegalRuleViolation(
                f"A video system covers this place; {pack.city} forbids video in a {location}",
                pack.cite(rule.article),
                "location_type",
            )


def _check_exemptible(pack: PolicyPack, place: Place, system_type: SystemType) -> None:
    """Only a type of a list that ends in 等, and one the place's category asks for: else the
    request conflicts with the unit's pack or the place's category (409)."""
    listed = pack.open_system_list
    if listed is None or system_type not in listed.types:
        open_types = ", ".join(listed.types) if listed else "none"
        raise Conflict(
            f"system_type: {pack.city}'s law does not leave {system_type.value} open to the tech office "
            f"(open-list-only): only the types of a list ending in 等 can be recorded as not applying "
            f"(here: {open_types})"
        )
    category = pack.category(place.category) if place.kind == PlaceKind.SITE and place.category else None
    if category is None or system_type not in category.required.all_of:
        raise Conflict(
            f"system_type: this place's category does not ask for {system_type.value} (required-here): "
            "there is nothing to exempt"
        )
