from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaConsumer
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from jifang.csv_export import SafeCsvWriter
from jifang.db import session_scope
from jifang.downloads import DOWNLOAD_HEADERS_DOC, download_headers
from jifang.errors import FieldError, Forbidden, NotFound, ValidationFailed
from jifang.openapi import problems
from services.gateway import uses
from services.gateway.alarms import AlarmFilter, alarm_stream
from services.gateway.deps import (
    RELAY_REFUSALS,
    AnyCaller,
    CallUpsDep,
    LimitedCaller,
    PoliceOnly,
    ProxyDep,
    RegisterAuditor,
    RegisterReader,
    RelayHookDep,
    SessionDep,
    SettingsDep,
    StateDep,
    UnitAdmin,
    UnitRegisterReader,
    UnitUsesDep,
    callup_within_rate,
)
from services.gateway.proxy import FORWARDED_METHODS, FORWARDED_SERVICES
from services.gateway.register import RegisterFilter, UseRegister
from services.gateway.schemas import (
    CAMERA_EXAMPLE,
    USE_EXAMPLE,
    CallUpRequest,
    ChainRead,
    FootageUsePage,
    FootageUseRead,
    FootageUseRequest,
    GrantRead,
    RelayAuthRequest,
    Timestamp,
    UsePage,
    UseRead,
)
from services.gateway.settings import GatewaySettings
from services.gateway.uses import EXPORT_COLUMNS

router = APIRouter()


@router.post(
    "/api/v1/callups",
    status_code=status.HTTP_201_CREATED,
    response_model=GrantRead,
    tags=["call-ups"],
    operation_id="callups.create",
    summary="Call up a camera, live or a playback range",
    responses={
        403: {
            "description": "Refused, and registered: images go to the police only; a camera outside "
            "the officer's jurisdiction to a `police_supervisor` only"
        },
        404: {"description": "Refused, and registered: no such camera"},
    },
    dependencies=[Depends(callup_within_rate)],
)
async def call_up(
    body: CallUpRequest,
    request: Request,
    callups: CallUpsDep,
    principal: AnyCaller,
) -> GrantRead:
    """The police call up one camera's live video or a playback range (HRB art. 9 para. 2,
    KMG art. 13): a grant to read it on the relay for a few minutes.

    **Who**: any authenticated caller may ask, but images go to `police_operator` and
    `police_supervisor` only: any other role, a unit administrator included, is refused with
    403 citing the camera's own city (HRB art. 20(4) or KMG art. 21(3)). A `police_operator`
    calls up the cameras of its own bureau's jurisdiction: units of the city its token's
    `jurisdiction` claim names (the policy pack id, e.g. `harbin-2008`) and, when the token
    also names a `district` (an officer of a district bureau), of that district; any other
    camera is refused 403 (a platform rule, registered). A `police_supervisor` may call up
    across jurisdictions (registered as any call-up).

    **Rules**: the purpose (用途), case number and destination (去向) are required, in
    characters that show (blanks and invisible characters such as the zero-width space are
    none; 422 naming each); the camera must exist (404), be networked with the police
    platform, and not be in a place where the unit's pack forbids cameras (422 citing the
    article, e.g. HRB art. 19). A live call-up takes no range (422 `live-without-range`). A
    playback's range carries UTC offsets and is not in the future. No law limits how far back
    the police may look (15 and 30 days are minimums a unit keeps): a playback is refused only
    when the recorder held no footage in the range at retention's latest reading of its index
    (422 `footage-held`); without such a reading it goes ahead, `footage: cannot_verify`. One
    grant covers at most `GATEWAY_PLAYBACK_MAX_HOURS` (24): a platform default, citing no
    article.

    **The register**: every call-up, granted or refused, is written to the use register
    (使用登记, HRB art. 20(3), KMG art. 21(2)) before anything is handed out; a refusal's
    problem carries the number of its record (`use_seq`). If the register cannot be written the
    answer is 503 and no grant exists.

    **The grant** serves what was registered, to whom it was handed: this camera, live only for
    a live call-up, only inside `range_from`..`range_to` for a playback (the relay's playback
    server: `start` and `duration` inside the range, or refused); to the address the call-up
    came from, or, with `"binding": "session_key"`, to the player presenting the `session_key`
    of the answer (`session=<key>` in its query to the relay) from anywhere; to at most
    `GATEWAY_GRANT_MAX_READERS` (2) readers; for `GATEWAY_GRANT_LIFETIME_S` (300)."""
    client_ip = request.client.host if request.client else None
    # Fail closed: the use is committed (its batch's INSERT, in autocommit) before anything
    # leaves; if that failed, the error answers 503 and no grant exists.
    granted = await callups.call_up(principal, body, client_ip)
    g = granted.grant
    return GrantRead(
        grant_id=g.grant_id,
        use_seq=granted.use_seq,
        token=g.token,
        stream_url=g.stream_url,
        path=g.path,
        action=g.action,
        expires_at=g.expires_at,
        footage=granted.footage,
        binding=g.binding,
        session_key=g.session_key,
    )


# The relay's own hook: not part of the public API (the relay reaches it inside the cluster).
@router.post("/internal/relay/auth", status_code=status.HTTP_200_OK, include_in_schema=False)
async def relay_auth(
    body: RelayAuthRequest, relay: RelayHookDep, session: SessionDep, state: StateDep
) -> Response:
    """MediaMTX's HTTP authentication hook: 200 only for a valid, unexpired grant (as password,
    token, or `token=` or `jwt=` in the query) for this path, used as it was registered (a live
    grant live, a playback grant inside its range), by the client it was handed to, within its
    readers; anything else 401, counted by reason (:mod:`services.gateway.relay`). Refusals are
    limited per reader address: one guessing grants gets 429 until its rate allows again."""
    reader = body.ip or "unknown"
    state.limits.check(RELAY_REFUSALS, reader, "refused reads")
    if await relay.refusal(session, body):
        state.limits.spend(RELAY_REFUSALS, reader)
        return Response(status_code=status.HTTP_401_UNAUTHORIZED)
    return Response(status_code=status.HTTP_200_OK)


@router.get(
    "/api/v1/register/verify",
    response_model=ChainRead,
    tags=["use register"],
    operation_id="register.verify",
    summary="Verify the use register's hash chain",
)
async def verify_register(session: SessionDep, _: RegisterAuditor) -> ChainRead:
    """Walk the use register's hash chain (HRB art. 20(3), KMG art. 21(2): the register of
    every use; HRB art. 20(4), KMG art. 22(1): records are not altered or deleted): any record
    altered after it was written, or removed, or reordered, shows as the first break.

    **Who**: `auditor` and `tech_office`. Keep the head (`head_seq`, `head_hash`) of each
    verification: a later truncation of the tail shows against it."""
    report = await UseRegister(session).verify()
    return ChainRead(**report.__dict__)


def _filters(
    unit_id: uuid.UUID | None = None,
    camera_id: uuid.UUID | None = None,
    officer: Annotated[str | None, Query(max_length=200)] = None,
    case_number: Annotated[str | None, Query(max_length=100)] = None,
    bureau: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        Timestamp | None, Query(description="Recorded at or after (with its UTC offset)")
    ] = None,
    until: Annotated[Timestamp | None, Query(description="Recorded before (with its UTC offset)")] = None,
) -> RegisterFilter:
    return RegisterFilter(unit_id, camera_id, officer, case_number, bureau, since, until)


RegisterFilters = Annotated[RegisterFilter, Depends(_filters)]


@router.get(
    "/api/v1/register",
    response_model=UsePage,
    tags=["use register"],
    operation_id="register.list",
    summary="Read the use register",
    responses={
        403: problems(
            "The token's roles do not allow this operation; or a unit administrator asked for another "
            "unit's uses, or filtered on what its view hides (each such filter named)",
            Forbidden(
                "A unit administrator cannot filter the register on what its view hides: case_number",
                [FieldError("case_number", "hidden-from-unit-view", "case_number is not in a unit's view")],
            ),
        )
    },
)
async def list_uses(
    session: SessionDep,
    principal: RegisterReader,
    filters: RegisterFilters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> UsePage:
    """The register of every use of images (HRB art. 20(3), KMG art. 21(2)), newest first, by
    unit, camera, officer, case, bureau and period.

    **Who**: `auditor` and `tech_office` read every record. A `unit_admin` reads the uses of
    its own unit's cameras (when, which bureau, which camera, live or playback, granted or
    refused: `"view": "unit"`) but not the officer, purpose, case number, destination or
    client address, which belong to the police's case; asking for another unit's is 403, and
    so is filtering on what it cannot see (`officer`, `case_number`: a filter would confirm a
    hidden value by what it matches), whatever the value."""
    return await uses.page(session, principal, filters, limit, offset)


def _csv_example() -> str:
    buf = io.StringIO()
    writer = SafeCsvWriter(buf)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerow(USE_EXAMPLE[c] for c in EXPORT_COLUMNS)
    return buf.getvalue()


_CSV_EXAMPLE = _csv_example()


@router.get(
    "/api/v1/register/export",
    tags=["use register"],
    operation_id="register.export",
    summary="Export the use register (CSV or JSON)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The matching records in register order, as an attachment",
            "model": list[UseRead],
            "headers": {
                **DOWNLOAD_HEADERS_DOC,
                "Content-Disposition": {
                    "description": "An attachment named use-register.csv or use-register.json",
                    "schema": {"type": "string"},
                },
            },
            "content": {
                "application/json": {"example": [USE_EXAMPLE]},
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
        }
    },
)
async def export_uses(
    state: StateDep,
    _: RegisterAuditor,
    filters: RegisterFilters,
    format: Literal["csv", "json"] = "csv",
) -> StreamingResponse:
    """The register (HRB art. 20(3), KMG art. 21(2)) for the annual inspection, in register
    order, with every field and each record's hash: CSV with a header row, or a JSON array. In
    the CSV, every text cell is quoted, and one that a spreadsheet would run as a formula (it
    begins with `=`, `+`, `-`, `@`, a tab or a carriage return) begins with a single quote;
    numbers are written as numbers. The JSON holds the values as recorded (the hashes are
    computed over them).

    **Who**: `auditor` and `tech_office`."""

    async def body() -> AsyncIterator[str]:
        async with session_scope(state.sessions) as session:
            async for chunk in uses.export(session, filters, format):
                yield chunk

    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return StreamingResponse(
        body(),
        media_type=media,
        headers=download_headers(f"use-register.{format}"),
    )


UnitInPath = Annotated[uuid.UUID, Path(description="The unit (registry id) whose register it is")]
_NO_SUCH_UNIT = problems(
    "No such unit, or not the caller's: a unit administrator's register is its own unit's only",
    NotFound("No unit with this id"),
)
_UNIT_REGISTER_WHO = (
    "**Who**: a `unit_admin` reads its own unit's register only (another unit's is 404, as the "
    "registry answers: its existence is not disclosed); `tech_office`, which checks the register "
    "at its inspections, and `auditor` read any unit's."
)


@router.post(
    "/api/v1/units/{unit_id}/footage-uses",
    status_code=status.HTTP_201_CREATED,
    response_model=FootageUseRead,
    tags=["unit register"],
    operation_id="footage_uses.create",
    summary="Register a use of the unit's footage",
    responses={
        201: {"description": "The use as registered: numbered, timed and linked by the database"},
        404: _NO_SUCH_UNIT,
        422: problems(
            "An input breaks a rule: each field and rule named",
            ValidationFailed(
                [
                    FieldError(
                        "camera_ids.0", "camera-of-unit", f"{CAMERA_EXAMPLE} is not a camera of this unit"
                    ),
                    FieldError("footage_to", "not_future", "Footage cannot be from the future"),
                ]
            ),
        ),
        503: {"description": "The registry is unreachable: the cameras cannot be checked"},
    },
)
async def register_footage_use(
    unit_id: UnitInPath,
    body: FootageUseRequest,
    session: SessionDep,
    unit_uses: UnitUsesDep,
    principal: UnitAdmin,
) -> FootageUseRead:
    """The unit registers one use of its footage in its own register (HRB art. 20(3):
    图像信息使用登记; KMG art. 21(2): 录制时间、录制人员、用途和去向): the recording time of the
    footage used (`footage_from`, `footage_to`, with their UTC offsets: the start before the end,
    the end not in the future), the cameras (the registry's ids of cameras of this unit), the
    persons who recorded, copied or used it (`personnel`), the purpose (用途) and the
    destination (去向). Who registered it and when come from the token and the platform's
    clock.

    **Who**: `unit_admin`, for its own unit only (any other unit is 404).

    **The register**: append-only and hash-chained like the police's use register, one chain
    per unit: the database numbers each record, links it to the unit's last one and refuses to
    change or delete any. The destination is recorded as stated: whether footage went lawfully
    to anyone but the police (HRB art. 20(4), KMG art. 21(3): save as law provides) is for a
    person to judge; the platform draws no verdict from it."""
    return await unit_uses.register(session, principal, unit_id, body)


@router.get(
    "/api/v1/units/{unit_id}/footage-uses",
    response_model=FootageUsePage,
    tags=["unit register"],
    operation_id="footage_uses.list",
    summary="Read a unit's register of the uses of its footage",
    description=(
        "The unit's register of the uses of its footage (HRB art. 20(3), KMG art. 21(2)), newest "
        "first, by the period in which each use was registered (`since`, `until`): every field of "
        "each record and its hash. A unit the registry has whose register is empty: no items.\n\n"
        + _UNIT_REGISTER_WHO
    ),
    responses={
        404: _NO_SUCH_UNIT,
        503: {"description": "The registry is unreachable: the unit cannot be checked"},
    },
)
async def list_footage_uses(
    unit_id: UnitInPath,
    session: SessionDep,
    unit_uses: UnitUsesDep,
    principal: UnitRegisterReader,
    since: Annotated[
        Timestamp | None, Query(description="Registered at or after (with its UTC offset)")
    ] = None,
    until: Annotated[Timestamp | None, Query(description="Registered before (with its UTC offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> FootageUsePage:
    return await unit_uses.page(session, principal, unit_id, since, until, limit, offset)


@router.get(
    "/api/v1/units/{unit_id}/footage-uses/verify",
    response_model=ChainRead,
    tags=["unit register"],
    operation_id="footage_uses.verify",
    summary="Verify a unit's register of the uses of its footage",
    description=(
        "Walk the unit's chain: any record altered after it was written, removed or reordered "
        "shows as the first break (`first_break_seq`, `problem`). Each unit's register is a chain "
        "of its own and verifies on its own. Keep the head (`head_seq`, `head_hash`) of each "
        "verification (at an inspection, say): a later truncation of the tail shows against it.\n\n"
        + _UNIT_REGISTER_WHO
    ),
    responses={
        404: _NO_SUCH_UNIT,
        503: {"description": "The registry is unreachable: the unit cannot be checked"},
    },
)
async def verify_footage_uses(
    unit_id: UnitInPath, session: SessionDep, unit_uses: UnitUsesDep, principal: UnitRegisterReader
) -> ChainRead:
    report = await unit_uses.verify(session, principal, unit_id)
    return ChainRead(**report.__dict__)


_SSE_EXAMPLE = (
    "retry: 2000\nid: eyIwIjo0MiwiMSI6MTd9\n\n"
    "id: eyIwIjo0MywiMSI6MTd9\nevent: alarm\n"
    'data: {"deviceId": "' + CAMERA_EXAMPLE + '", "district": "南岗区", "kind": "ALARM_KIND_TAMPER", '
    '"active": true}\n\n'
    ": keep-alive\n\n"
)


@router.get(
    "/api/v1/alarms/stream",
    tags=["alarms"],
    operation_id="alarms.stream",
    summary="Follow live alarms (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless event stream: an `alarm` event per alarm, a comment as heartbeat",
            "content": {"text/event-stream": {"schema": {"type": "string"}, "example": _SSE_EXAMPLE}},
        }
    },
)
async def follow_alarms(
    request: Request,
    principal: PoliceOnly,
    state: StateDep,
    settings: SettingsDep,
    district: Annotated[str | None, Query(max_length=100)] = None,
    unit_id: uuid.UUID | None = None,
    last_event_id: Annotated[str | None, Header(max_length=2000)] = None,
) -> StreamingResponse:
    """Live alarms the devices raise and clear (motion, tamper, video or signal loss, storage
    failure), as Server-Sent Events, by district or unit: each `alarm` event's data is the
    `jifang.v1.AlarmEvent` as JSON.

    **Who**: `police_operator` and `police_supervisor`.

    **Resuming**: each event's id is the stream's position; reconnect with `Last-Event-ID` to
    get exactly what was missed while the topic keeps it (30 days); an id that is not one of
    this stream's is 422.

    **Limits**: at most `GATEWAY_ALARM_STREAMS_PER_CALLER` streams open at once per caller (429)."""
    close = state.alarm_streams.open(principal.subject, "alarm streams")
    try:
        return await _alarm_response(request, settings, district, unit_id, last_event_id, close)
    except BaseException:
        close()
        raise


async def _alarm_response(
    request: Request,
    settings: GatewaySettings,
    district: str | None,
    unit_id: uuid.UUID | None,
    last_event_id: str | None,
    close: Callable[[], None],
) -> StreamingResponse:
    stream = alarm_stream(
        lambda: AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
        ),
        AlarmFilter(district, unit_id),
        last_event_id,
    )
    first = await anext(stream)  # a bad Last-Event-ID is a 422 here, before the stream starts

    async def body() -> AsyncIterator[str]:
        try:
            yield first
            async for chunk in stream:
                if await request.is_disconnected():
                    break
                yield chunk
        finally:
            close()  # the stream no longer counts against the caller

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


class ForwardedRoute(APIRoute):
    """One method of a forwarded path, each its own operation. A method none of them takes is
    answered 405 by the first of the path's routes: its Allow names every forwarded method."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in (self.methods or ()):
            allow = ", ".join(FORWARDED_METHODS)
            raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": allow})
        await super().handle(scope, receive, send)


ForwardedPath = Annotated[str, Path(description="The path under the service's /api/v1/ (e.g. units)")]


def _forwarding(service: str) -> Callable[..., Awaitable[Response]]:
    async def forward(path: ForwardedPath, request: Request, proxy: ProxyDep, _: LimitedCaller) -> Response:
        return await proxy.forward(service, path, request)

    return forward


_FORWARDED_EXAMPLE = {"items": [], "total": 0, "limit": 50, "offset": 0}


def _forwarded_operation(service: str, method: str) -> dict[str, Any]:
    """How one method of the public entry to a service is documented."""
    operation: dict[str, Any] = {
        "operation_id": f"proxy.{service}.{method.lower()}",
        "summary": f"{method} on the {service}'s API",
        "description": (
            f"The public entry to the {service}: `/api/{service}/<path>` is its `/api/v1/<path>` "
            "(its own OpenAPI document describes each operation), called with the caller's own "
            "bearer token (the service applies its roles) and request id.\n\n"
            "**Who**: any authenticated caller, within its rate per gateway process "
            "(`GATEWAY_RATE_LIMIT_PER_S`, burst `GATEWAY_RATE_LIMIT_BURST`; beyond it 429 with "
            "Retry-After). The service's answer is passed back as it is: its status, body and "
            "Content-Type."
        ),
        "tags": ["services"],
        "response_class": Response,
        "responses": {
            200: {
                "description": "The service's answer",
                "content": {"*/*": {"schema": {}, "example": _FORWARDED_EXAMPLE}},
            },
            502: {"description": f"The {service}'s answer could not be read"},
            503: {"description": f"The {service} is unreachable or did not answer in time"},
            "default": {"description": "Any other answer of the service, passed back as it is"},
        },
    }
    if method in ("POST", "PUT", "PATCH"):
        operation["openapi_extra"] = {
            "requestBody": {
                "required": False,
                "description": "The body the service's operation takes, as it takes it",
                "content": {"*/*": {"schema": {}, "example": {"name": "营业大厅", "category": "hrb-7-4"}}},
            }
        }
    return operation


def _add_forwarding_routes() -> None:
    for service in FORWARDED_SERVICES:
        for method in FORWARDED_METHODS:
            router.add_api_route(
                f"/api/{service}/{{path:path}}",
                _forwarding(service),
                methods=[method],
                route_class_override=ForwardedRoute,
                **_forwarded_operation(service, method),
            )


_add_forwarding_routes()
