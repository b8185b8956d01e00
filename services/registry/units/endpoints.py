from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registry.change import change_conflicts
from services.registry.deps import PolicyBookDep, SessionDep, TechOffice, UnitEditor, UnitReader
from services.registry.pagination import Page
from services.registry.units.schemas import UnitClose, UnitCreate, UnitQuery, UnitRead, UnitUpdate
from services.registry.units.service import UnitService, to_read

router = APIRouter(prefix="/units", tags=["units"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UnitRead,
    operation_id="units.create",
    summary="Register a unit",
    responses={409: {"description": "A unit with this unified social credit code exists"}},
)
async def create_unit(body: UnitCreate, session: SessionDep, book: PolicyBookDep, _: TechOffice) -> UnitRead:
    """The tech office registers a unit that must install technical prevention (技防) systems
    under its city's rules (HRB art. 7-8, KMG art. 6), with its unified social credit code
    (checked by its check digits, GB 32100-2015) and the policy pack of its jurisdiction. The
    security affiliation (保卫隶属关系) decides where it files: the city or district bureau under
    HRB art. 14, the district where it is under KMG art. 16 (`filing_office`)."""
    unit = await UnitService(session, book).create(body)
    return to_read(unit, book)


@router.get("", response_model=Page[UnitRead], operation_id="units.list", summary="List units")
async def list_units(
    query: Annotated[UnitQuery, Query()], session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> Page[UnitRead]:
    """Units by district, jurisdiction or name, a page at a time. The tech office, auditors,
    the police and services see every unit; a unit administrator its own only."""
    units, total, capped = await UnitService(session, book).list(principal, query)
    return query.page([to_read(u, book) for u in units], total, capped)


@router.get("/{unit_id}", response_model=UnitRead, operation_id="units.get", summary="One unit")
async def get_unit(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitReader
) -> UnitRead:
    """A unit with its filing office. The tech office, auditors, the police and services read
    any unit; a unit administrator its own (another unit is 404, not 403: its existence is not
    disclosed)."""
    return to_read(await UnitService(session, book).get(principal, unit_id), book)


@router.patch(
    "/{unit_id}",
    response_model=UnitRead,
    operation_id="units.update",
    summary="Change a unit",
    responses=change_conflicts(),
)
async def update_unit(
    unit_id: uuid.UUID,
    body: UnitUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> UnitRead:
    """Change the fields given (a field left out is unchanged). A unit administrator may change
    its own unit's name and address; what decides the applicable law and the filing office
    (jurisdiction, district, security affiliation, business or not: KMG art. 24 fines differ) is
    the tech office's (403 otherwise). Moving a unit to another jurisdiction gives each place the
    one category of the new pack that truly corresponds (naming everything the place is: its
    `tags`, else its category's); where none does, the place loses its category and carries
    `reclassify_from` for the tech office to re-classify (a person decides; not a legal finding).
    The unit's findings are recomputed at once."""
    return to_read(await UnitService(session, book).update(principal, unit_id, body), book)


@router.post(
    "/{unit_id}/close",
    response_model=UnitRead,
    operation_id="units.close",
    summary="Close a unit (注销)",
    responses=change_conflicts(),
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
