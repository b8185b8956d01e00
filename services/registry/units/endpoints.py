from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registry.deps import PolicyBookDep, SessionDep, TechOffice, UnitEditor, UnitReader
from services.registry.pagination import Page
from services.registry.units.schemas import UnitClose, UnitCreate, UnitQuery, UnitRead, UnitUpdate
from services.registry.units.service import UnitService, to_read

router = APIRouter(prefix="/units", tags=["units"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UnitRead)
async def create_unit(body: UnitCreate, session: SessionDep, book: PolicyBookDep, _: TechOffice) -> UnitRead:
    unit = await UnitService(session, book).create(body)
    return to_read(unit, book)


@router.get("", response_model=Page[UnitRead])
async def list_units(
    query: Annotated[UnitQuery, Query()], session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> Page[UnitRead]:
    units, total, capped = await UnitService(session, book).list(principal, query)
    return query.page([to_read(u, book) for u in units], total, capped)


@router.get("/{unit_id}", response_model=UnitRead)
async def get_unit(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> UnitRead:
    return to_read(await UnitService(session, book).get(principal, unit_id), book)


@router.patch("/{unit_id}", response_model=UnitRead)
async def update_unit(
    unit_id: uuid.UUID,
    body: UnitUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> UnitRead:
    return to_read(await UnitService(session, book).update(principal, unit_id, body), book)


@router.post(
    "/{unit_id}/close",
    response_model=UnitRead,
    responses={409: {"description": "The unit is closed already"}},
)
async def close_unit(
    unit_id: uuid.UUID, body: UnitClose, session: SessionDep, book: PolicyBookDep, principal: TechOffice
) -> UnitRead:
    """Close a unit (注销), e.g. one that ceased or was created by mistake (tech office only).

    Its places, systems, devices, filings, inspections and findings are kept and stay
    readable, but no longer change (409); its devices are no longer polled or checked; its
    findings stay as they stood, for the office to decide. Its unified social credit code may
    be registered again as a new unit."""
    return to_read(await UnitService(session, book).close(principal, unit_id, body), book)
