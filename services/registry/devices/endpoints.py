from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.registry.deps import (
    CipherDep,
    InternalService,
    PolicyBookDep,
    SessionDep,
    UnitEditor,
    UnitReader,
)
from services.registry.devices.schemas import (
    CredentialsBatch,
    CredentialsBatchRequest,
    DeviceCreate,
    DeviceCredentials,
    DeviceQuery,
    DeviceRead,
    DeviceUpdate,
)
from services.registry.devices.service import DeviceService, to_read
from services.registry.pagination import Page

router = APIRouter(tags=["devices"])


@router.post("/units/{unit_id}/devices", status_code=status.HTTP_201_CREATED, response_model=DeviceRead)
async def create_device(
    unit_id: uuid.UUID,
    body: DeviceCreate,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> DeviceRead:
    return to_read(await DeviceService(session, book, cipher).create(principal, unit_id, body))


@router.get("/devices", response_model=Page[DeviceRead])
async def list_devices(
    query: Annotated[DeviceQuery, Query()],
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitReader,
) -> Page[DeviceRead]:
    devices, total, capped = await DeviceService(session, book, cipher).list(principal, query)
    return query.page([to_read(d) for d in devices], total, capped)


@router.get("/devices/{device_id}", response_model=DeviceRead)
async def get_device(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitReader,
) -> DeviceRead:
    return to_read(await DeviceService(session, book, cipher).get(principal, device_id))


@router.patch("/devices/{device_id}", response_model=DeviceRead)
async def update_device(
    device_id: uuid.UUID,
    body: DeviceUpdate,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> DeviceRead:
    return to_read(await DeviceService(session, book, cipher).update(principal, device_id, body))


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_device(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    principal: UnitEditor,
) -> Response:
    await DeviceService(session, book, cipher).delete(principal, device_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/internal/devices/{device_id}/credentials",
    response_model=DeviceCredentials,
    tags=["internal"],
    summary="Device credentials for ingest (service role only; never logged)",
)
async def device_credentials(
    device_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    _: InternalService,
) -> DeviceCredentials:
    return await DeviceService(session, book, cipher).credentials(device_id)


@router.post(
    "/internal/devices/credentials",
    response_model=CredentialsBatch,
    tags=["internal"],
    summary="Credentials of many devices at once, for ingest (service role only; never logged)",
)
async def device_credentials_batch(
    body: CredentialsBatchRequest,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    _: InternalService,
) -> CredentialsBatch:
    return await DeviceService(session, book, cipher).credentials_batch(body.device_ids)
