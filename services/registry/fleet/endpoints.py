"""The views other services read with their service token: not in the public document (see
:func:`services.registry.app.internal_openapi`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from jifang.errors import NotFound
from jifang.fleet import CameraView, FleetEntry, FleetPage
from services.registry.clock import utc_now
from services.registry.deps import CipherDep, InternalService, PolicyBookDep, SessionDep
from services.registry.devices.schemas import CredentialsBatch, CredentialsBatchRequest, DeviceCredentials
from services.registry.devices.service import DeviceService
from services.registry.fleet.repository import FleetRepository
from services.registry.policy.repository import applied_book

router = APIRouter(prefix="/internal", tags=["internal"])

# How far back a device's maintenance windows are listed: past the footage any pack judges (the
# longest period, 30 days, twice over).
MAINTENANCE_LOOKBACK = dt.timedelta(days=62)


@router.get(
    "/fleet",
    response_model=FleetPage,
    operation_id="fleet.page",
    summary="The whole fleet, flat, a page of units at a time",
)
async def fleet(
    session: SessionDep,
    principal: InternalService,
    after_unit: uuid.UUID | None = None,
    units: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> FleetPage:
    """Every device with what ingest and retention need of its unit, units in id order after
    `after_unit`; `next_after_unit` asks for the next page. Each device carries its recording
    declaration and its system's, and the maintenance windows declared on it. Role `service`
    only."""
    fleet = FleetRepository(session)
    rows, more = await fleet.page(after_unit, units)
    windows = await fleet.maintenance(sorted({r["unit_id"] for r in rows}), utc_now() - MAINTENANCE_LOOKBACK)
    items = [
        FleetEntry.model_validate({**row, "maintenance": windows.get(row["device_id"], ())}) for row in rows
    ]
    return FleetPage(items=items, next_after_unit=items[-1].unit_id if more and items else None)


@router.get(
    "/cameras/{camera_id}",
    response_model=CameraView,
    operation_id="cameras.get",
    summary="One camera as a call-up checks it",
)
async def camera(
    camera_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InternalService
) -> CameraView:
    """What the gateway checks before a call-up (HRB art. 9, KMG art. 13): the camera, its unit
    and pack, whether it is networked, its place, and whether cameras are forbidden there as
    the pack applies now (the tech office's additions included). Role `service` only."""
    row = await FleetRepository(session).camera(camera_id)
    if row is None:
        raise NotFound("No device with this id")
    view = CameraView.model_validate(row)
    pack = (await applied_book(session, book)).get(view.jurisdiction)
    if pack is not None and pack.is_forbidden_camera_place(view.location_type):
        view.forbidden_place = pack.forbidden_reason(view.location_type)
    return view


@router.get(
    "/devices/{device_id}/credentials",
    response_model=DeviceCredentials,
    operation_id="credentials.get",
    summary="Device credentials for ingest (service role only; never logged)",
)
async def device_credentials(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    _: InternalService,
) -> DeviceCredentials:
    """A device's ONVIF address and decrypted credentials. Role `service` only; never logged."""
    return await DeviceService(session, book, cipher).credentials(device_id)


@router.post(
    "/devices/credentials",
    response_model=CredentialsBatch,
    operation_id="credentials.batch",
    summary="Credentials of many devices at once, for ingest (service role only; never logged)",
)
async def device_credentials_batch(
    body: CredentialsBatchRequest,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    _: InternalService,
) -> CredentialsBatch:
    """The credentials of up to 1,000 devices in one request; unknown ids are listed as
    missing. Role `service` only; never logged."""
    return await DeviceService(session, book, cipher).credentials_batch(body.device_ids)
