from __future__ import annotations

import uuid
from enum import StrEnum

from fastapi import APIRouter, Response, status

from jifang.policy import SystemType, load_policy_book
from services.registry.change import change_conflicts
from services.registry.deps import PolicyBookDep, SessionDep, TechOffice, UnitEditor, UnitReader
from services.registry.places.schemas import PlaceCreate, PlaceExemptionSet, PlaceRead, PlaceUpdate
from services.registry.places.service import PlaceService, to_read

router = APIRouter(tags=["places"])

# The system types some pack's list leaves open (HRB art. 7: "...等技防系统"), from the packs.
OpenSystemType = StrEnum(  # type: ignore[misc]
    "OpenSystemType",
    sorted(
        {
            t.value
            for p in load_policy_book().packs.values()
            if p.open_system_list
            for t in p.open_system_list.types
        }
    ),
)


@router.post(
    "/units/{unit_id}/places",
    status_code=status.HTTP_201_CREATED,
    response_model=PlaceRead,
    operation_id="places.create",
    responses=change_conflicts(),
    summary="Add a place to a unit",
)
async def create_place(
    unit_id: uuid.UUID,
    body: PlaceCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> PlaceRead:
    """The tech office or the unit's administrator records a place (场所、部位), a residential
    building or a vehicle. `category` is a mandated category code of the unit's pack (HRB art. 7:
    video, and for (1)-(9) intrusion alarm and access control too; KMG art. 6: a technical
    prevention system), listed with names and articles by `GET /api/v1/policy/{pack}`; an unknown
    code is 422. Vehicles take a vehicle category (HRB art. 8 para. 2, KMG art. 6(5)). The
    unit's findings are recomputed: a mandated place without its systems opens a finding."""
    place, pack = await PlaceService(session, book).create(principal, unit_id, body)
    return to_read(place, pack)


@router.get(
    "/units/{unit_id}/places",
    response_model=list[PlaceRead],
    operation_id="places.list",
    summary="A unit's places",
)
async def list_places(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> list[PlaceRead]:
    """Every place of the unit, each with the article its category comes from. Readers: the
    tech office, auditors, the police, services, and the unit's own administrator."""
    places, pack = await PlaceService(session, book).list(principal, unit_id)
    return [to_read(p, pack) for p in places]


@router.get("/places/{place_id}", response_model=PlaceRead, operation_id="places.get", summary="One place")
async def get_place(
    place_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> PlaceRead:
    """A place with the article its category comes from. Readers as for the unit's places; a
    unit administrator gets 404 for another unit's place."""
    place, unit = await PlaceService(session, book).get(principal, place_id)
    return to_read(place, book[unit.jurisdiction])


@router.patch(
    "/places/{place_id}",
    response_model=PlaceRead,
    operation_id="places.update",
    summary="Change a place",
    responses=change_conflicts(),
)
async def update_place(
    place_id: uuid.UUID,
    body: PlaceUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> PlaceRead:
    """Change the fields given; null clears category, vehicle category, location type or
    description. A place a video system covers cannot become one where the pack forbids cameras
    (HRB art. 19 para. 2, KMG art. 7: 422 citing the article). The tech office or the unit's
    administrator; the unit's findings are recomputed."""
    place, pack = await PlaceService(session, book).update(principal, place_id, body)
    return to_read(place, pack)


@router.delete(
    "/places/{place_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="places.delete",
    responses=change_conflicts(),
    summary="Remove a place",
)
async def delete_place(
    place_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> Response:
    """Remove a place recorded by mistake (systems no longer cover it). The tech office or the
    unit's administrator; the unit's findings are recomputed."""
    await PlaceService(session, book).delete(principal, place_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/places/{place_id}/exemptions/{system_type}",
    response_model=PlaceRead,
    operation_id="places.exempt",
    summary="Record that a listed system type does not apply to a place",
    responses=change_conflicts(
        "the unit's pack does not leave the type open, or the place's category does not ask for it"
    ),
)
async def exempt_place(
    place_id: uuid.UUID,
    system_type: OpenSystemType,
    body: PlaceExemptionSet,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> PlaceRead:
    """HRB art. 7: "还应当分别建立入侵报警系统、出入口控制系统等技防系统" — the list ends in 等, so
    which of them a place needs is the tech office's to judge. It records, with a reason, that a
    listed type does not apply to this place; the place's finding stops asking for it (and is
    rectified if nothing else is missing). Video, which art. 7 asks of every place, cannot be
    exempted; a type the unit's pack does not leave open, or one the place's category does not ask
    for, is 409. Setting it again replaces the reason. The tech office only."""
    place, pack = await PlaceService(session, book).exempt(principal, place_id, SystemType(system_type), body)
    return to_read(place, pack)


@router.delete(
    "/places/{place_id}/exemptions/{system_type}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="places.unexempt",
    summary="Withdraw an exemption",
    responses=change_conflicts(),
)
async def unexempt_place(
    place_id: uuid.UUID,
    system_type: OpenSystemType,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> Response:
    """The system type applies to the place again: its finding asks for it. 404 if no exemption
    is recorded. The tech office only."""
    await PlaceService(session, book).unexempt(principal, place_id, SystemType(system_type))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
