from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from aiokafka import AIOKafkaConsumer
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from jifang.db import session_scope
from services.gateway import uses
from services.gateway.alarms import AlarmFilter, alarm_stream
from services.gateway.deps import (
    AnyCaller,
    CallUpsDep,
    LimitedCaller,
    PoliceOnly,
    ProxyDep,
    RegisterAuditor,
    RegisterReader,
    RegisterSessionDep,
    SessionDep,
    SettingsDep,
    SignerDep,
    StateDep,
)
from services.gateway.register import RegisterFilter, UseRegister
from services.gateway.schemas import CallUpRequest, ChainRead, GrantRead, RelayAuthRequest, UsePage

router = APIRouter(tags=["call-up"])


@router.post("/api/v1/callups", status_code=status.HTTP_201_CREATED, response_model=GrantRead)
async def call_up(
    body: CallUpRequest,
    request: Request,
    session: RegisterSessionDep,
    callups: CallUpsDep,
    principal: AnyCaller,
) -> GrantRead:
    """Call up one camera, live or a playback range: registered first, then granted."""
    client_ip = request.client.host if request.client else None
    # Fail closed: the use is committed (autocommit: its INSERT did) before anything leaves;
    # if that failed, the error answers 503 and no grant exists.
    granted = await callups.call_up(session, principal, body, client_ip)
    g = granted.grant
    return GrantRead(
        grant_id=g.grant_id,
        use_seq=granted.use_seq,
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


def _filters(
    unit_id: uuid.UUID | None = None,
    camera_id: uuid.UUID | None = None,
    officer: Annotated[str | None, Query(max_length=200)] = None,
    case_number: Annotated[str | None, Query(max_length=100)] = None,
    bureau: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[dt.datetime | None, Query(description="Recorded at or after")] = None,
    until: Annotated[dt.datetime | None, Query(description="Recorded before")] = None,
) -> RegisterFilter:
    return RegisterFilter(unit_id, camera_id, officer, case_number, bureau, since, until)


RegisterFilters = Annotated[RegisterFilter, Depends(_filters)]


@router.get("/api/v1/register", tags=["use register"], response_model=UsePage)
async def list_uses(
    session: SessionDep,
    principal: RegisterReader,
    filters: RegisterFilters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> UsePage:
    """The register, newest first, by unit, camera, officer, case, bureau and period."""
    return await uses.page(session, principal, filters, limit, offset)


@router.get("/api/v1/register/export", tags=["use register"])
async def export_uses(
    state: StateDep,
    _: RegisterAuditor,
    filters: RegisterFilters,
    format: Literal["csv", "json"] = "csv",
) -> StreamingResponse:
    """The register for the annual inspection, in register order (CSV or JSON)."""

    async def body() -> AsyncIterator[str]:
        async with session_scope(state.sessions) as session:
            async for chunk in uses.export(session, filters, format):
                yield chunk

    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return StreamingResponse(
        body(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="use-register.{format}"'},
    )


@router.get("/api/v1/alarms/stream", tags=["alarms"])
async def follow_alarms(
    request: Request,
    _: PoliceOnly,
    settings: SettingsDep,
    district: Annotated[str | None, Query(max_length=100)] = None,
    unit_id: uuid.UUID | None = None,
    last_event_id: Annotated[str | None, Header(max_length=2000)] = None,
) -> StreamingResponse:
    """Live alarms (motion, tamper, video loss, storage failure) as Server-Sent Events;
    reconnect with `Last-Event-ID` to miss nothing."""
    stream = alarm_stream(
        lambda: AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
        ),
        AlarmFilter(district, unit_id),
        last_event_id,
    )
    first = await anext(stream)  # a bad Last-Event-ID is a 422 here, before the stream starts

    async def body() -> AsyncIterator[str]:
        yield first
        async for chunk in stream:
            if await request.is_disconnected():
                break
            yield chunk

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.api_route(
    "/api/{service}/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    tags=["services"],
    include_in_schema=False,
)
async def to_service(
    service: str, path: str, request: Request, proxy: ProxyDep, _: LimitedCaller
) -> Response:
    """`/api/registry/...` and `/api/retention/...`: the services behind the gateway."""
    return await proxy.forward(service, path, request)
