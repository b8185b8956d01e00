from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from services.registry.deps import (
    CipherDep,
    NvrDevice,
    PolicyBookDep,
    SessionDep,
    SettingsDep,
    UnitEditor,
)
from services.registry.nvr.schemas import (
    EnrollmentTokenCreate,
    EnrollmentTokenIssued,
    Heartbeat,
    HeartbeatAck,
    NvrRegistered,
    NvrRegistration,
)
from services.registry.nvr.service import NvrService

router = APIRouter(tags=["nvr enrollment"])


@router.post(
    "/units/{unit_id}/enrollment-tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=EnrollmentTokenIssued,
)
async def issue_enrollment_token(
    unit_id: uuid.UUID,
    body: EnrollmentTokenCreate,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    settings: SettingsDep,
    principal: UnitEditor,
) -> EnrollmentTokenIssued:
    service = NvrService(session, book, cipher, settings.enrollment_token_ttl_s)
    return await service.issue_token(principal, unit_id, body.label, body.ttl_s)


@router.post("/nvr/register", response_model=NvrRegistered)
async def register_nvr(
    body: NvrRegistration,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    settings: SettingsDep,
    principal: NvrDevice,
) -> NvrRegistered:
    """An NVR registers itself and declares its channels; registering again is idempotent."""
    return await NvrService(session, book, cipher, settings.enrollment_token_ttl_s).register(principal, body)


@router.post("/nvr/heartbeat", response_model=HeartbeatAck)
async def nvr_heartbeat(
    body: Heartbeat,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    settings: SettingsDep,
    principal: NvrDevice,
) -> HeartbeatAck:
    return await NvrService(session, book, cipher, settings.enrollment_token_ttl_s).heartbeat(principal, body)
