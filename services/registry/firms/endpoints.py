from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from services.registry.change import change_conflicts
from services.registry.deps import PolicyBookDep, SessionDep, TechOffice, UnitEditor, UnitReader
from services.registry.firms.schemas import (
    FirmCreate,
    FirmQuery,
    FirmRead,
    FirmUpdate,
    ProjectCreate,
    ProjectRead,
)
from services.registry.firms.service import FirmService
from services.registry.pagination import ListQuery, Page

router = APIRouter(tags=["firms"])

_CODE_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "A firm with this unified social credit code is registered (its id named)"}
}


@router.post(
    "/firms",
    status_code=status.HTTP_201_CREATED,
    response_model=FirmRead,
    operation_id="firms.create",
    summary="Register a design, construction or maintenance firm",
    responses=_CODE_TAKEN,
)
async def create_firm(
    body: FirmCreate, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> FirmRead:
    """Register a firm that designs, builds or maintains technical-prevention systems
    (从事技防工程设计、施工和维修的单位, KMG art. 16), with its unified social credit code (checked
    by its check digits, GB 32100-2015; one firm per code), a contact person and telephone. A
    firm works for many units, so it is registered once: the tech office, or a unit's
    administrator registering the firm that works for it (a code already registered is 409
    naming that firm, to be used as it is)."""
    return await FirmService(session, book).create(principal, body)


@router.get("/firms", response_model=Page[FirmRead], operation_id="firms.list", summary="List firms")
async def list_firms(
    query: Annotated[FirmQuery, Query()], session: SessionDep, book: PolicyBookDep, _: UnitReader
) -> Page[FirmRead]:
    """Firms by name (contains) or code (starts with), a page at a time. A firm is not a unit's
    record: the tech office, auditors, the police, services and unit administrators read every
    firm."""
    return await FirmService(session, book).search(query)


@router.get("/firms/{firm_id}", response_model=FirmRead, operation_id="firms.get", summary="One firm")
async def get_firm(firm_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, _: UnitReader) -> FirmRead:
    """A firm with its code and contact. Readers as for the list."""
    return await FirmService(session, book).read(firm_id)


@router.patch(
    "/firms/{firm_id}",
    response_model=FirmRead,
    operation_id="firms.update",
    summary="Change a firm",
    responses=_CODE_TAKEN,
)
async def update_firm(
    firm_id: uuid.UUID, body: FirmUpdate, session: SessionDep, book: PolicyBookDep, _: TechOffice
) -> FirmRead:
    """Change the fields given (a field left out is unchanged; null clears the address). A
    firm's record is shared by every unit it works for: the tech office only. A new name or code
    is what the findings the firm answers for say at once."""
    return await FirmService(session, book).update(firm_id, body)


@router.post(
    "/firms/{firm_id}/projects",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    operation_id="firms.add_project",
    summary="Record a firm's project on a system",
    responses=change_conflicts(),
)
async def add_project(
    firm_id: uuid.UUID, body: ProjectCreate, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> ProjectRead:
    """Record a design, construction or maintenance job of the firm on a unit's system, with the
    day it was completed (not in the future) and where it is (the unit's district unless given).
    Under KMG art. 16 "从事技防工程设计、施工和维修的单位，应当自项目完成之日起10日内到项目所在地县
    （市、区）公安机关技防管理机构备案": each project, maintenance jobs included, is a filing the firm
    owes within 10 days of completion at that district's office; not filed by then, it is a
    finding the firm answers for (KMG-2012 provides no penalty). Recording a system's construction
    project moves the case of its construction firm's missing filing onto the project, naming the
    firm. Under HRB art. 14 the unit files its systems, and a project is a record. The tech office
    or the administrator of the system's unit (another unit's system is 404)."""
    return await FirmService(session, book).add_project(principal, firm_id, body)


@router.get(
    "/firms/{firm_id}/projects",
    response_model=Page[ProjectRead],
    operation_id="firms.projects",
    summary="A firm's projects",
)
async def firm_projects(
    firm_id: uuid.UUID,
    query: Annotated[ListQuery, Query()],
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitReader,
) -> Page[ProjectRead]:
    """The firm's projects, latest completed first, each with where and by when it is filed (KMG
    art. 16) and its filing (status, the day it was handed in, days late). A unit administrator
    sees the projects on its own unit's systems only."""
    return await FirmService(session, book).projects_of_firm(principal, firm_id, query)


@router.get(
    "/systems/{system_id}/projects",
    response_model=list[ProjectRead],
    operation_id="systems.projects",
    summary="The firms' projects on a system",
)
async def system_projects(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> list[ProjectRead]:
    """Every design, construction and maintenance project recorded on the system, with its firm
    and its filing. Readers as for the system; a unit administrator gets 404 for another unit's
    system."""
    return await FirmService(session, book).projects_of_system(principal, system_id)
