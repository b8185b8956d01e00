from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.registry.deps import PolicyBookDep, SessionDep, TechOffice, UnitEditor, UnitReader
from services.registry.pagination import Page, PageParams, page_params
from services.registry.units.schemas import UnitCreate, UnitRead, UnitUpdate
from services.registry.units.service import UnitService, to_read

router = APIRouter(prefix="/units", tags=["units"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UnitRead)
async def create_unit(body: UnitCreate, session: SessionDep, book: PolicyBookDep, _: TechOffice) -> UnitRead:
    unit = await UnitService(session, book).create(body)
    return to_read(unit, book)


@router.get("", response_model=Page[UnitRead])
async def list_units(
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitReader,
    page: Annotated[PageParams, Depends(page_params)],
    district: Annotated[str | None, Query(max_length=100)] = None,
    jurisdiction: Annotated[str | None, Query(max_length=50)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    sort: Annotated[str, Query(max_length=30)] = "name",
) -> Page[UnitRead]:
    units, total, capped = await UnitService(session, book).list(
        principal,
        district=district,
        jurisdiction=jurisdiction,
        q=q,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[to_read(u, book) for u in units],
        total=total,
        total_capped=capped,
        limit=page.limit,
        offset=page.offset,
    )


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
