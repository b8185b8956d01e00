from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.deps import FindingReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.findings.schemas import (
    DismissRequest,
    FindingQuery,
    FindingRead,
    OrderRequest,
    RecomputeResult,
)
from services.registry.findings.service import FindingService
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
    """A finding with its articles, status, deadline and penalty step. A measured breach is
    `open`, then `ordered` corrected by a deadline, then `rectified` in time, `escalated` past the
    deadline (the fines) or `corrected_late` after it (the fines stay, for a person to decide). A
    suspicion is `suspected` (duty article only, no penalty) until an officer confirms it
    (`confirmed`, or `open` where the law's first step is an order to correct) or dismisses it
    (`dismissed`). Readers as for the list; a unit administrator gets 404 for another unit's."""
    return await FindingService(session, book).read(principal, finding_id)


@router.post(
    "/findings/{finding_id}/order",
    response_model=FindingRead,
    operation_id="findings.order",
    summary="Order the correction by a deadline: the first step",
    responses={409: {"description": "Only an open case can be ordered corrected"}},
)
async def order_finding(
    finding_id: uuid.UUID,
    body: OrderRequest,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> FindingRead:
    """The tech office takes the first step of the unit's pack with a deadline: under HRB art.
    26-28 "予以警告，责令限期整改/改正"; under KMG art. 24-25 "责令限期改正", with no warning. The
    deadline defaults to the pack's rectification period from today (a platform default); a
    given one must be after today. Not corrected by the deadline, the case escalates to the
    pack's fines, chosen by the unit's kind where the law distinguishes (KMG art. 24); corrected
    after it, the case is `corrected_late` and keeps them (ruling 3)."""
    return await FindingService(session, book).order(principal, finding_id, body.rectification_deadline)


@router.post(
    "/findings/{finding_id}/confirm",
    response_model=FindingRead,
    operation_id="findings.confirm",
    summary="Confirm a suspicion",
    responses={409: {"description": "Only a suspicion can be confirmed"}},
)
async def confirm_finding(
    finding_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: TechOffice
) -> FindingRead:
    """An officer of the tech office, having investigated, confirms a suspicion (ruling 1): the
    penalty article now applies. HRB art. 29 ("予以警告，并对单位处以500元以上2000元以下罚款") is
    at once: the case is `confirmed`, with the fine range and no deadline. KMG art. 25 first
    orders the correction: the case is `open`, to be ordered with a deadline. The tech office
    only."""
    return await FindingService(session, book).confirm(principal, finding_id)


@router.post(
    "/findings/{finding_id}/dismiss",
    response_model=FindingRead,
    operation_id="findings.dismiss",
    summary="Dismiss a suspicion, with the reason",
    responses={409: {"description": "Only a suspicion can be dismissed"}},
)
async def dismiss_finding(
    finding_id: uuid.UUID,
    body: DismissRequest,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> FindingRead:
    """An officer dismisses a suspicion (a disk replaced, declared maintenance, a cause found):
    `dismissed`, with the reason on record; no case. The tech office only."""
    return await FindingService(session, book).dismiss(principal, finding_id, body.reason)


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
