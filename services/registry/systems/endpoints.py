from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from services.registry.deps import PolicyBookDep, SessionDep, UnitEditor, UnitReader
from services.registry.systems.schemas import SystemCreate, SystemRead, SystemUpdate
from services.registry.systems.service import SystemService

router = APIRouter(tags=["systems"])


@router.post("/units/{unit_id}/systems", status_code=status.HTTP_201_CREATED, response_model=SystemRead)
async def create_system(
    unit_id: uuid.UUID,
    body: SystemCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> SystemRead:
    return await SystemService(session, book).create(principal, unit_id, body)


@router.get("/units/{unit_id}/systems", response_model=list[SystemRead])
async def list_systems(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> list[SystemRead]:
    return await SystemService(session, book).list(principal, unit_id)


@router.get("/systems/{system_id}", response_model=SystemRead)
async def get_system(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> SystemRead:
    return await SystemService(session, book).read(principal, system_id)


@router.patch("/systems/{system_id}", response_model=SystemRead)
async def update_system(
    system_id: uuid.UUID,
    body: SystemUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> SystemRead:
    return await SystemService(session, book).update(principal, system_id, body)


@router.delete("/systems/{system_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_system(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> Response:
    await SystemService(session, book).delete(principal, system_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
