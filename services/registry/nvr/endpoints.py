from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from jifang.errors import ValidationFailed
from jifang.ratelimit import client_key, limits_of
from services.registry.change import change_conflicts
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
from services.registry.nvr.service import ENROLLMENT_ATTEMPTS, NvrService

router = APIRouter(tags=["nvr enrollment"])


@router.post(
    "/units/{unit_id}/enrollment-tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=EnrollmentTokenIssued,
    operation_id="enrollment_tokens.create",
    summary="Issue a one-time enrollment token for an NVR",
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
    """The tech office or the unit's administrator issues a token the unit's recorder presents
    once to register itself under the unit (`POST /api/v1/nvr/register`). It is shown once and
    expires after `ttl_s` (a day by default), or with its first use, whichever comes first."""
    service = NvrService(session, book, cipher, settings.enrollment_token_ttl_s)
    return await service.issue_token(principal, unit_id, body.label, body.ttl_s)


@router.post(
    "/nvr/register",
    response_model=NvrRegistered,
    operation_id="nvr.register",
    summary="An NVR registers itself and its channels",
    responses={
        **change_conflicts("the device is registered with another unit than the token's"),
        429: {"description": "Too many refused enrollment tokens from this address (Retry-After)"},
    },
)
async def register_nvr(
    request: Request,
    body: NvrRegistration,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    settings: SettingsDep,
    principal: NvrDevice,
) -> NvrRegistered:
    """A recorder (role `nvr`) registers itself and declares its channels (cameras). Its first
    registration presents the unit's enrollment token, which binds the recorder's own credential
    (the subject of its token) to its device and expires with that use: presented again, by any
    device, it is refused (422 `single-use`). Registering again (channels changed, hardware
    replaced) is done with the recorder's own credential and no token; it is idempotent and
    updates the channels. A channel where the
    pack forbids cameras is refused (HRB art. 19 para. 2, KMG art. 7). A new serial number is
    recorded as a replacement of the device (`replaced`): maintenance, not a breach of HRB art.
    20(6) / KMG art. 21(4), so it cites no article. Refused enrollment tokens are limited per
    client address (`REGISTRY_ENROLLMENT_ATTEMPTS_PER_MINUTE`): guessing one is 429."""
    limits, client = limits_of(request), client_key(request)
    presents_token = body.enrollment_token is not None and limits is not None
    if presents_token and limits is not None:
        limits.check(ENROLLMENT_ATTEMPTS, client, "refused enrollment tokens")
    try:
        return await NvrService(session, book, cipher, settings.enrollment_token_ttl_s).register(
            principal, body
        )
    except ValidationFailed as refused:
        if (
            presents_token
            and limits is not None
            and any(e.field == "enrollment_token" for e in refused.errors)
        ):
            limits.spend(ENROLLMENT_ATTEMPTS, client)
        raise


@router.post(
    "/nvr/heartbeat",
    response_model=HeartbeatAck,
    operation_id="nvr.heartbeat",
    summary="An NVR says it is alive",
    responses={
        404: {"description": "This device has not registered yet"},
        409: {"description": "The serial number changed: register again so the replacement is recorded"},
    },
)
async def nvr_heartbeat(
    body: Heartbeat,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    settings: SettingsDep,
    principal: NvrDevice,
) -> HeartbeatAck:
    """A registered recorder (role `nvr`) reports every heartbeat interval; three missed
    intervals mark it offline (an interruption, HRB art. 20(5), KMG art. 19), the next
    heartbeat online again."""
    return await NvrService(session, book, cipher, settings.enrollment_token_ttl_s).heartbeat(principal, body)
