from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from services.registry.change import change_conflicts
from services.registry.deps import PolicyBookDep, SessionDep, UnitAdmin, UnitReader
from services.registry.maintenance.schemas import MaintenanceWindowDeclare, MaintenanceWindowRead
from services.registry.maintenance.service import MaintenanceService
from services.registry.validators import QueryInstant

router = APIRouter(tags=["maintenance windows"])


@router.post(
    "/units/{unit_id}/maintenance-windows",
    status_code=status.HTTP_201_CREATED,
    response_model=MaintenanceWindowRead,
    operation_id="maintenance_windows.declare",
    summary="Declare planned maintenance beforehand",
    responses=change_conflicts(),
)
async def declare_window(
    unit_id: uuid.UUID,
    body: MaintenanceWindowDeclare,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitAdmin,
) -> MaintenanceWindowRead:
    """HRB art. 20(5): "不得无故中断技防系统运行" (KMG art. 19 likewise): planned work is a cause.
    The unit's administrator declares, before the work starts, which of its devices it stops
    (an NVR covers its channels), from when to when, and why. An outage of those devices inside
    the window raises no suspected interruption, and gaps in their footage inside it are not
    interruptions. `starts_at` in the past is refused (`declared-beforehand`: an outage already
    under way is for the tech office to judge); a start a few minutes ago is taken as now. A
    window lasts at most the pack's `maintenance_window_max_days` (a platform default). Devices
    of another unit are 422 (`device-of-this-unit`)."""
    window = await MaintenanceService(session, book).declare(principal, unit_id, body)
    return MaintenanceWindowRead.model_validate(window)


@router.get(
    "/units/{unit_id}/maintenance-windows",
    response_model=list[MaintenanceWindowRead],
    operation_id="maintenance_windows.list",
    summary="A unit's maintenance windows",
)
async def list_windows(
    unit_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitReader,
    ending_after: QueryInstant | None = Query(
        default=None, description="Only windows that end after this instant (e.g. now: current and coming)"
    ),
) -> list[MaintenanceWindowRead]:
    """Every window the unit declared, cancelled ones included (with who cancelled them), by
    start. The unit's administrator sees its own unit's; police roles any unit's."""
    windows = await MaintenanceService(session, book).list(principal, unit_id, ending_after)
    return [MaintenanceWindowRead.model_validate(w) for w in windows]


@router.post(
    "/maintenance-windows/{window_id}/cancel",
    response_model=MaintenanceWindowRead,
    operation_id="maintenance_windows.cancel",
    summary="Cancel a window before it starts",
    responses=change_conflicts("the window has started: it stands as declared"),
)
async def cancel_window(
    window_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitAdmin
) -> MaintenanceWindowRead:
    """The work will not happen: the window no longer covers anything. Only before it starts
    (409 after: what happened in it was declared as maintenance and stays so). Cancelling again
    changes nothing. The unit's administrator."""
    window = await MaintenanceService(session, book).cancel(principal, window_id)
    return MaintenanceWindowRead.model_validate(window)
