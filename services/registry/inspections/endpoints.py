from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registry.deps import InspectionReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.inspections.schemas import (
    InspectionCreate,
    InspectionDue,
    InspectionRead,
    NoticeRead,
)
from services.registry.inspections.service import InspectionService

router = APIRouter(tags=["inspections"])


@router.post(
    "/systems/{system_id}/inspections",
    status_code=status.HTTP_201_CREATED,
    response_model=InspectionRead,
)
async def record_inspection(
    system_id: uuid.UUID,
    body: InspectionCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> InspectionRead:
    return await InspectionService(session, book).record(principal, system_id, body)


@router.get("/systems/{system_id}/inspections", response_model=list[InspectionRead])
async def list_inspections(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> list[InspectionRead]:
    return await InspectionService(session, book).for_system(principal, system_id)


@router.get("/inspections/due", response_model=list[InspectionDue])
async def inspections_due(
    session: SessionDep,
    book: PolicyBookDep,
    principal: InspectionReader,
    within_days: Annotated[int, Query(ge=0, le=366)] = 30,
) -> list[InspectionDue]:
    return await InspectionService(session, book).due(principal, within_days)


@router.get("/rectification-notices", response_model=list[NoticeRead])
async def open_notices(
    session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> list[NoticeRead]:
    return await InspectionService(session, book).rechecks(principal)


@router.get("/rectification-notices/{notice_id}", response_model=NoticeRead)
async def get_notice(
    notice_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> NoticeRead:
    return await InspectionService(session, book).get_notice(principal, notice_id)
