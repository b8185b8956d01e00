from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from services.registry.change import change_conflicts
from services.registry.deps import PolicyBookDep, SessionDep, UnitEditor, UnitReader
from services.registry.systems.schemas import SystemCreate, SystemRead, SystemUpdate
from services.registry.systems.service import SystemService

router = APIRouter(tags=["systems"])


@router.post(
    "/units/{unit_id}/systems",
    status_code=status.HTTP_201_CREATED,
    response_model=SystemRead,
    operation_id="systems.create",
    responses=change_conflicts(),
    summary="Add a technical prevention system to a unit",
)
async def create_system(
    unit_id: uuid.UUID,
    body: SystemCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> SystemRead:
    """The tech office or the unit's administrator records a system (video, intrusion alarm,
    access control...: HRB art. 3, KMG art. 3), the places it covers, its completion and
    acceptance dates (验收: the filing deadline runs from them, HRB art. 14 para. 1 and KMG art.
    16), its design review (KMG art. 14 para. 1), its networking with the police platform (HRB
    art. 9, KMG art. 13) and its products with their certificates (HRB art. 12, KMG art. 15
    para. 2). A video system cannot cover a place where the pack forbids cameras (HRB art. 19
    para. 2, KMG art. 7: 422 citing the article). The unit's findings are recomputed."""
    return await SystemService(session, book).create(principal, unit_id, body)


@router.get(
    "/units/{unit_id}/systems",
    response_model=list[SystemRead],
    operation_id="systems.list",
    summary="A unit's systems",
)
async def list_systems(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> list[SystemRead]:
    """Every system of the unit with the places it covers. Readers: the tech office, auditors,
    the police, services, and the unit's own administrator."""
    return await SystemService(session, book).list(principal, unit_id)


@router.get(
    "/systems/{system_id}", response_model=SystemRead, operation_id="systems.get", summary="One system"
)
async def get_system(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> SystemRead:
    """A system, and whether it changed since it was filed (HRB art. 17: filed again). Readers
    as for the unit's systems; a unit administrator gets 404 for another unit's system."""
    return await SystemService(session, book).read(principal, system_id)


@router.patch(
    "/systems/{system_id}",
    response_model=SystemRead,
    operation_id="systems.update",
    responses=change_conflicts(),
    summary="Change a system",
)
async def update_system(
    system_id: uuid.UUID,
    body: SystemUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> SystemRead:
    """Change the fields given; null clears a date or the installer. A change of what was filed
    (places, products, networking...) of a filed system marks it changed since filing, which
    opens a re-filing finding (HRB art. 17). The tech office or the unit's administrator; the
    unit's findings are recomputed."""
    return await SystemService(session, book).update(principal, system_id, body)


@router.delete(
    "/systems/{system_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="systems.delete",
    responses=change_conflicts(),
    summary="Remove a system",
)
async def delete_system(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> Response:
    """Remove a system recorded by mistake. The tech office or the unit's administrator; the
    unit's findings are recomputed (a mandated place left without its system opens one)."""
    await SystemService(session, book).delete(principal, system_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
