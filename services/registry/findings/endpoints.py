from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from jifang.policy import FindingRule
from services.registry.deps import FindingReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.findings.schemas import FindingRead, RecomputeResult, WarnRequest
from services.registry.findings.service import FindingService, to_read
from services.registry.models import FindingStatus
from services.registry.pagination import Page, PageParams, page_params
from services.registry.units.repository import UnitRepository

router = APIRouter(tags=["findings"])


@router.get("/findings", response_model=Page[FindingRead])
async def list_findings(
    session: SessionDep,
    book: PolicyBookDep,
    principal: FindingReader,
    page: Annotated[PageParams, Depends(page_params)],
    unit_id: uuid.UUID | None = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    article: Annotated[
        str | None, Query(max_length=60, description="A cited article, e.g. 'HRB-2008 art. 26'")
    ] = None,
    status: FindingStatus | None = None,
    rule: FindingRule | None = None,
) -> Page[FindingRead]:
    items, total, capped = await FindingService(session, book).list(
        principal,
        unit_id=unit_id,
        district=district,
        article=article,
        status=status,
        rule=rule,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, total_capped=capped, limit=page.limit, offset=page.offset)


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
    unit_ids = await UnitRepository(session).all_ids()
    return await FindingService(session, book).recompute(unit_ids)
