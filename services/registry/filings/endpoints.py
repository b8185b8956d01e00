from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response, status

from services.registry.deps import (
    FilingReader,
    PolicyBookDep,
    SessionDep,
    SettingsDep,
    StorageDep,
    TechOffice,
    UnitEditor,
)
from services.registry.filings.schemas import FilingCreate, FilingDue, FilingRead
from services.registry.filings.service import MAGIC, FilingService

router = APIRouter(tags=["filings"])


@router.post("/units/{unit_id}/filings", status_code=status.HTTP_201_CREATED, response_model=FilingRead)
async def create_filing(
    unit_id: uuid.UUID,
    body: FilingCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> FilingRead:
    """Start a filing (draft) of one or more systems; add materials, then submit."""
    return await FilingService(session, book).create(principal, unit_id, body)


@router.get("/units/{unit_id}/filings", response_model=list[FilingRead])
async def list_filings(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> list[FilingRead]:
    return await FilingService(session, book).list_for_unit(principal, unit_id)


@router.get("/filings/due", response_model=list[FilingDue])
async def filings_due(
    session: SessionDep,
    book: PolicyBookDep,
    _: TechOffice,
    within_days: Annotated[int, Query(ge=0, le=366)] = 7,
) -> list[FilingDue]:
    """Systems whose filing deadline passes within the given days, overdue ones included."""
    return await FilingService(session, book).due(within_days)


@router.get("/filings/{filing_id}", response_model=FilingRead)
async def get_filing(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> FilingRead:
    return await FilingService(session, book).read(principal, filing_id)


@router.put(
    "/filings/{filing_id}/materials/{code}",
    response_model=FilingRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in MAGIC},
        }
    },
)
async def upload_material(
    filing_id: uuid.UUID,
    code: str,
    request: Request,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    settings: SettingsDep,
    principal: UnitEditor,
    content_type: Annotated[str, Header(max_length=200)] = "",
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> FilingRead:
    """Add one material (PDF, PNG or JPEG, raw body) under the pack's material code."""
    data = await request.body()
    return await FilingService(session, book, storage).upload(
        principal,
        filing_id,
        code,
        filename or code,
        content_type,
        data,
        settings.max_material_bytes,
    )


@router.post("/filings/{filing_id}/submit", response_model=FilingRead)
async def submit_filing(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> FilingRead:
    """Complete: filed with a receipt. Incomplete: a notice of every missing material and the
    supplement deadline."""
    return await FilingService(session, book).submit(principal, filing_id)


@router.get(
    "/filings/{filing_id}/receipt",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "The receipt (回执单)"}},
)
async def download_receipt(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> Response:
    number, text = await FilingService(session, book).receipt(principal, filing_id)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(number)}.txt"},
    )


@router.get(
    "/filings/{filing_id}/materials/{material_id}",
    response_class=Response,
    responses={200: {"content": {ct: {} for ct in MAGIC}, "description": "The material"}},
)
async def download_material(
    filing_id: uuid.UUID,
    material_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    principal: FilingReader,
) -> Response:
    """Filing materials are confidential (HRB art. 18): the unit and the tech office only."""
    material, data = await FilingService(session, book, storage).material(principal, filing_id, material_id)
    return Response(
        data,
        media_type=material.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(material.filename)}"},
    )
