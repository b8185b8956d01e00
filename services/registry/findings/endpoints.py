from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.deps import FindingReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.findings.schemas import FindingQuery, FindingRead, RecomputeResult, WarnRequest
from services.registry.findings.service import FindingService, to_read
from services.registry.pagination import Page

router = APIRouter(tags=["findings"])


@router.get(
    "/findings", response_model=Page[FindingRead], operation_id="findings.list", summary="List findings"
)
async def list_findings(
    query: Annotated[FindingQuery, Query()],
    session: SessionDep,
    book: PolicyBookDep,
    principal: FindingReader,
) -> Page[FindingRead]:
    """Findings by unit, district, cited article, status or rule, a page at a time. Each cites
    the duty's article and the penalty article of the unit's pack (e.g. `HRB-2008 art. 7(4)` and
    `HRB-2008 art. 26`) and the penalty step the case stands at. The tech office, auditors and
    police supervisors read every unit's; a unit administrator its own."""
    return await FindingService(session, book).list(principal, query)


# `:uuid`: /findings/recompute is a path of its own for every method (a GET there is 405),
# as OpenAPI matches concrete paths before templated ones.
@router.get(
    "/findings/{finding_id:uuid}",
    response_model=FindingRead,
    operation_id="findings.get",
    summary="One finding",
)
async def get_finding(
    finding_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FindingReader
) -> FindingRead:
    """A finding with its articles, status (open, warned, rectified, escalated), deadline and
    penalty step. Readers as for the list; a unit administrator gets 404 for another unit's."""
    return await FindingService(session, book).read(principal, finding_id)


@router.post(
    "/findings/{finding_id}/warn",
    response_model=FindingRead,
    operation_id="findings.warn",
    summary="Warn: the first penalty step, with a rectification deadline",
    responses={409: {"description": "Only an open finding can be warned"}},
)
async def warn_finding(
    finding_id: uuid.UUID,
    body: WarnRequest,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> FindingRead:
    """The tech office issues the warning with a rectification deadline (警告，责令限期整改: the
    first step of HRB art. 26-28; 责令限期改正 under KMG art. 24-25), by default the pack's
    rectification period from today; a given deadline must be after today. A warned finding
    not rectified by its deadline escalates to the fines of the pack, chosen by the unit's kind
    where the law distinguishes (KMG art. 24)."""
    finding, unit = await FindingService(session, book).warn(
        principal, finding_id, body.rectification_deadline
    )
    return to_read(finding, book[unit.jurisdiction], unit)


@router.post(
    "/findings/recompute",
    response_model=RecomputeResult,
    operation_id="findings.recompute",
    summary="Re-evaluate every unit now",
)
async def recompute_findings(session: SessionDep, book: PolicyBookDep, _: TechOffice) -> RecomputeResult:
    """Re-evaluate every unit now, as the hourly sweep does: deadlines that passed, escalations,
    findings opened and rectified. The tech office only."""
    return await FindingService(session, book).recompute_all()
