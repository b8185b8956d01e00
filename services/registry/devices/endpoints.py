from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.registry.change import change_conflicts
from services.registry.deps import CipherDep, PolicyBookDep, SessionDep, UnitEditor, UnitReader
from services.registry.devices.schemas import DeviceCreate, DeviceQuery, DeviceRead, DeviceUpdate
from services.registry.devices.service import DeviceService, to_read
from services.registry.pagination import Page

router = APIRouter(tags=["devices"])


@router.post(
    "/units/{unit_id}/devices",
    status_code=status.HTTP_201_CREATED,
    response_model=DeviceRead,
    operation_id="devices.create",
    responses=change_conflicts(),
    summary="Add a camera or NVR to a unit",
)
async def create_device(
    unit_id: uuid.UUID,
    body: DeviceCreate,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> DeviceRead:
    """The tech office or the unit's administrator records a camera or a recorder (NVR), with
    where it looks, its ONVIF address and credentials (encrypted at rest, never shown again), the
    place and system it belongs to, and for a camera channel its NVR. A camera where the pack
    forbids cameras is refused (HRB art. 19 para. 2: guest rooms, fitting and changing rooms,
    bathrooms, toilets, government internal offices; KMG art. 7, nursing rooms too: 422 citing
    the article). Ingest and retention learn of the device from the registry's events."""
    return to_read(await DeviceService(session, book, cipher).create(principal, unit_id, body))


@router.get("/devices", response_model=Page[DeviceRead], operation_id="devices.list", summary="List devices")
async def list_devices(
    query: Annotated[DeviceQuery, Query()],
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitReader,
) -> Page[DeviceRead]:
    """Devices by unit, district, kind, status or name, a page at a time, without their
    credentials. The tech office, auditors, the police and services see the whole fleet; a unit
    administrator its own unit's devices."""
    devices, total, capped = await DeviceService(session, book, cipher).list(principal, query)
    return query.page([to_read(d) for d in devices], total, capped)


@router.get(
    "/devices/{device_id}", response_model=DeviceRead, operation_id="devices.get", summary="One device"
)
async def get_device(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitReader,
) -> DeviceRead:
    """A device with its status (online, offline after missed heartbeats or polls: HRB art.
    20(5), KMG art. 19), whether credentials are on file (never the credentials). Readers as for
    the device list; a unit administrator gets 404 for another unit's device."""
    return to_read(await DeviceService(session, book, cipher).get(principal, device_id))


@router.patch(
    "/devices/{device_id}",
    response_model=DeviceRead,
    operation_id="devices.update",
    responses=change_conflicts(),
    summary="Change a device",
)
async def update_device(
    device_id: uuid.UUID,
    body: DeviceUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> DeviceRead:
    """Change the fields given; null clears the address, credentials, serial number, place,
    system, position or coordinates. A camera cannot be moved to a place where the pack forbids
    cameras (HRB art. 19 para. 2, KMG art. 7). The tech office or the unit's administrator."""
    return to_read(await DeviceService(session, book, cipher).update(principal, device_id, body))


@router.delete(
    "/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="devices.delete",
    responses=change_conflicts(),
    summary="Remove a device",
)
async def delete_device(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> Response:
    """Remove a device (an NVR with its channels); ingest and retention stop watching it. The
    tech office or the unit's administrator."""
    await DeviceService(session, book, cipher).delete(principal, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
