from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from jifang.errors import problem_response
from services.gateway.callups import Refused
from services.gateway.deps import AnyCaller, CallUpsDep, RegisterAuditor, SessionDep, SignerDep
from services.gateway.register import UseRegister
from services.gateway.schemas import CallUpRequest, ChainRead, GrantRead, RelayAuthRequest

router = APIRouter(tags=["call-up"])


@router.post("/api/v1/callups", status_code=status.HTTP_201_CREATED, response_model=GrantRead)
async def call_up(
    body: CallUpRequest, request: Request, session: SessionDep, callups: CallUpsDep, principal: AnyCaller
) -> GrantRead | JSONResponse:
    """Call up one camera, live or a playback range: registered first, then granted."""
    client_ip = request.client.host if request.client else None
    outcome = await callups.call_up(session, principal, body, client_ip)
    # Fail closed: the use is committed before anything leaves; if that fails, no grant.
    await session.commit()
    if isinstance(outcome, Refused):
        err = outcome.error
        return problem_response(
            err.status,
            err.slug,
            err.title,
            err.detail,
            request.url.path,
            extensions={**err.extensions(), "use_seq": outcome.use_seq},
        )
    g = outcome.grant
    return GrantRead(
        grant_id=g.grant_id,
        use_seq=outcome.use_seq,
        token=g.token,
        stream_url=g.stream_url,
        path=g.path,
        action=g.action,
        expires_at=g.expires_at,
    )


@router.post("/internal/relay/auth", tags=["relay"], status_code=status.HTTP_200_OK)
async def relay_auth(body: RelayAuthRequest, signer: SignerDep) -> Response:
    """MediaMTX's HTTP authentication hook: 200 only for a valid, unexpired grant for this
    path and action (the grant as password, token, or `token=` in the query)."""
    query_token = next(
        (part.split("=", 1)[1] for part in body.query.split("&") if part.startswith("token=")), ""
    )
    for candidate in (body.token, body.password, query_token):
        if candidate and signer.allows(candidate, body.path, body.action):
            return Response(status_code=status.HTTP_200_OK)
    return Response(status_code=status.HTTP_401_UNAUTHORIZED)


@router.get("/api/v1/register/verify", tags=["use register"], response_model=ChainRead)
async def verify_register(session: SessionDep, _: RegisterAuditor) -> ChainRead:
    """Walk the use register's hash chain: any altered, removed or reordered record shows."""
    report = await UseRegister(session).verify()
    return ChainRead(**report.__dict__)
