from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from services.registry.deps import PolicyBookDep, SessionDep, UnitEditor, UnitReader
from services.registry.places.schemas import PlaceCreate, PlaceRead, PlaceUpdate
from services.registry.places.service import PlaceService, to_read

router = APIRouter(tags=["places"])


@router.post("/units/{unit_id}/places", status_code=status.HTTP_201_CREATED, response_model=PlaceRead)
async def create_place(
    unit_id: uuid.UUID,
    body: PlaceCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> PlaceRead:
    place, pack = await PlaceService(session, book).create(principal, unit_id, body)
    return to_read(place, pack)


@router.get("/units/{unit_id}/places", response_model=list[PlaceRead])
async def list_places(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> list[PlaceRead]:
    places, pack = await PlaceService(session, book).list(principal, unit_id)
    return [to_read(p, pack) for p in places]


@router.get("/places/{place_id}", response_model=PlaceRead)
async def get_place(
    place_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> PlaceRead:
    place, unit = await PlaceService(session, book).get(principal, place_id)
    return to_read(place, book[unit.jurisdiction])


@router.patch("/places/{place_id}", response_model=PlaceRead)
async def update_place(
    place_id: uuid.UUID,
    body: PlaceUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> PlaceRead:
    place, pack = await PlaceService(session, book).update(principal, place_id, body)
    return to_read(place, pack)


@router.delete("/places/{place_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_place(
    place_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> Response:
    await PlaceService(session, book).delete(principal, place_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
