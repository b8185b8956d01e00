from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.deps import FindingReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.findings.schemas import FindingQuery, FindingRead, RecomputeResult, WarnRequest
from services.registry.findings.service import FindingService, to_read
from services.registry.pagination import Page

router = APIRouter(tags=["findings"])


@router.get("/findings", response_model=Page[FindingRead])
async def list_findings(
    query: Annotated[FindingQuery, Query()],
    session: SessionDep,
    book: PolicyBookDep,
    principal: FindingReader,
) -> Page[FindingRead]:
    return await FindingService(session, book).list(principal, query)


@router.get("/findings/{finding_id}", response_model=FindingRead)
async def get_finding(
    finding_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FindingReader
) -> FindingRead:
    return await FindingService(session, book).read(principal, finding_id)


@router.post("/findings/{finding_id}/warn", response_model=FindingRead)
async def warn_finding(
    finding_id: uuid.UUID,
    body: WarnRequest,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> FindingRead:
    """Issue the warning with a rectification deadline (the first penalty step)."""
    finding, unit = await FindingService(session, book).warn(
        principal, finding_id, body.rectification_deadline
    )
    return to_read(finding, book[unit.jurisdiction], unit)


@router.post("/findings/recompute", response_model=RecomputeResult)
async def recompute_findings(session: SessionDep, book: PolicyBookDep, _: TechOffice) -> RecomputeResult:
    """Re-evaluate every unit now (deadlines that passed, escalations)."""
    return await FindingService(session, book).recompute_all()
