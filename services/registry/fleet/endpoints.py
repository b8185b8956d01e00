"""The views other services read with their service token (not in the public document)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from jifang.errors import NotFound
from jifang.fleet import CameraView, FleetEntry, FleetPage
from services.registry.deps import InternalService, SessionDep
from services.registry.fleet.repository import FleetRepository

router = APIRouter(prefix="/internal", tags=["internal"])


@router.get("/fleet", response_model=FleetPage, summary="The whole fleet, flat, a page of units at a time")
async def fleet(
    session: SessionDep,
    principal: InternalService,
    after_unit: uuid.UUID | None = None,
    units: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> FleetPage:
    rows, more = await FleetRepository(session).page(after_unit, units)
    items = [FleetEntry.model_validate(row) for row in rows]
    return FleetPage(items=items, next_after_unit=items[-1].unit_id if more and items else None)


@router.get("/cameras/{camera_id}", response_model=CameraView, summary="One camera as a call-up checks it")
async def camera(camera_id: uuid.UUID, session: SessionDep, principal: InternalService) -> CameraView:
    row = await FleetRepository(session).camera(camera_id)
    if row is None:
        raise NotFound("No device with this id")
    return CameraView.model_validate(row)
