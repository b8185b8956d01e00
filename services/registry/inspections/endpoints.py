from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registry.change import change_conflicts
from services.registry.deps import InspectionReader, PolicyBookDep, SessionDep, TechOffice
from services.registry.inspections.schemas import (
    InspectionCreate,
    InspectionDue,
    InspectionRead,
    NoticeRead,
)
from services.registry.inspections.service import InspectionService

router = APIRouter()


@router.post(
    "/systems/{system_id}/inspections",
    status_code=status.HTTP_201_CREATED,
    response_model=InspectionRead,
    operation_id="inspections.create",
    tags=["inspections"],
    summary="Record an inspection of a system",
    responses=change_conflicts("the notice re-checked was already re-checked"),
)
async def record_inspection(
    system_id: uuid.UUID,
    body: InspectionCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> InspectionRead:
    """The tech office records a periodic check (HRB art. 24: a full function check once in every
    calendar year; KMG art. 23: supervision, at an interval the law does not set), signed by every
    inspector on or after the day (KMG art. 23 para. 1), never in the future. A failed inspection
    issues a rectification notice with its items and deadline (限期整改通知书: HRB art. 25, re-checked
    when the deadline expires; KMG art. 23 para. 2, followed up), a passed one none; an
    inspection naming `recheck_of_notice` re-checks that notice and closes it as rectified or
    not."""
    return await InspectionService(session, book).record(principal, system_id, body)


@router.get(
    "/systems/{system_id}/inspections",
    response_model=list[InspectionRead],
    operation_id="inspections.list",
    tags=["inspections"],
    summary="A system's inspections",
)
async def list_inspections(
    system_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> list[InspectionRead]:
    """Every inspection of the system with its inspectors and notice. The tech office, auditors
    and the unit's own administrator."""
    return await InspectionService(session, book).for_system(principal, system_id)


@router.get(
    "/inspections/due",
    response_model=list[InspectionDue],
    operation_id="inspections.due",
    tags=["inspections"],
    summary="Systems whose periodic inspection falls due",
)
async def inspections_due(
    session: SessionDep,
    book: PolicyBookDep,
    principal: InspectionReader,
    within_days: Annotated[int, Query(ge=0, le=731)] = 30,
) -> list[InspectionDue]:
    """Accepted systems whose periodic check falls due within the given days, overdue ones
    included. Harbin: "每年应当进行一次" (HRB art. 24), so by the end of the calendar year after the
    last inspection (or the acceptance). Kunming's text sets no interval: the pack's platform
    default (365 days), marked `platform_default` with no article. The tech office and auditors
    see every unit's; a unit administrator its own."""
    return await InspectionService(session, book).due(principal, within_days)


@router.get(
    "/rectification-notices",
    response_model=list[NoticeRead],
    operation_id="rectification_notices.list",
    summary="Open rectification notices",
    tags=["rectification notices"],
)
async def open_notices(
    session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> list[NoticeRead]:
    """Open rectification notices (限期整改通知书), those whose deadline has come first: each is
    due for its re-check then under HRB art. 25 (`recheck_due`); KMG art. 23 para. 2 asks for
    follow-up, not a re-check at the deadline, so a Kunming notice is never `recheck_due`. The
    tech office and auditors see every unit's; a unit administrator its own."""
    return await InspectionService(session, book).rechecks(principal)


@router.get(
    "/rectification-notices/{notice_id}",
    response_model=NoticeRead,
    operation_id="rectification_notices.get",
    summary="One rectification notice",
    tags=["rectification notices"],
)
async def get_notice(
    notice_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> NoticeRead:
    """A rectification notice with its items, deadline, status and re-check. Readers as for the
    open notices; a unit administrator gets 404 for another unit's."""
    return await InspectionService(session, book).get_notice(principal, notice_id)
