"""Retention's API: each channel's latest verdict, a channel's history, a unit's state (and a
check of it now), and the city-wide counts. Every finding cites its pack's articles."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query

from jifang.errors import DependencyUnavailable, NotYetKnown, ValidationFailed
from jifang.openapi import problems
from jifang.retention_client import CameraFootage
from services.retention.deps import (
    CheckRequester,
    CityReader,
    InternalService,
    RetentionReader,
    ServiceDep,
    SessionDep,
)
from services.retention.schemas import (
    ChannelPage,
    ChannelResult,
    Summary,
    SummaryGrouping,
    UnitRetention,
    Verdict,
)

router = APIRouter(prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])

# What a verdict rests on, said once for every route that returns verdicts.
VERDICTS = """
Verdicts: `compliant`; `violating`, each finding citing the duty article and the penalty step
of the unit's pack: footage kept shorter than required, or the recorder set to keep less
(`retention_short`: HRB-2008 art. 20(7) and 28(6), KMG-2012 art. 19 and 25, or a stricter
source a pack gives a place category), footage deleted or altered (`records_deleted_or_altered`:
HRB art. 20(4) and 29, KMG art. 22(1) and 25), a gap or a stopped recording
(`operation_interrupted`: HRB art. 20(5) and 28(4), KMG art. 19 and 25); `not_yet_due`, a system
accepted fewer days ago than required (with its due date); `cannot_verify`, with the reason
(no Profile G, unreachable, credentials refused, a self-contradicting index...).
"""


def with_verdicts(endpoint: F) -> F:
    """The endpoint's description (its docstring) followed by what the verdicts rest on."""
    endpoint.__doc__ = f"{inspect.cleandoc(endpoint.__doc__ or '')}\n{VERDICTS}"
    return endpoint


# The unit routes: retention's mirror follows the registry's events, a second or so behind.
UNIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Neither retention nor the registry knows the unit"},
    503: problems(
        "The registry has the unit and retention's mirror not yet (within about a second), or the "
        "registry or the database cannot be asked: retry after Retry-After",
        NotYetKnown(
            "Unit 0f4c2a9e-1d3b-4c65-b8a7-9e2d5f1c7a30 is in the registry and not yet in retention's "
            "mirror, which learns of it from the registry's events within about a second"
        ),
        DependencyUnavailable(
            "Unit 0f4c2a9e-1d3b-4c65-b8a7-9e2d5f1c7a30 is not in retention's mirror and the registry "
            "cannot be asked"
        ),
    ),
}


@router.get(
    "/channels",
    response_model=ChannelPage,
    operation_id="channels.list",
    summary="Every channel's latest verdict",
    tags=["channels"],
)
@with_verdicts
async def list_channels(
    session: SessionDep,
    service: ServiceDep,
    principal: RetentionReader,
    unit_id: Annotated[uuid.UUID | None, Query(description="Only this unit's channels")] = None,
    district: Annotated[str | None, Query(max_length=100, examples=["南岗区"])] = None,
    category: Annotated[
        str | None, Query(max_length=50, description="A pack's place category code", examples=["hrb-7-4"])
    ] = None,
    verdict: Verdict | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ChannelPage:
    """Every active recorder channel as its latest check found it and as judged now (a system
    may have fallen due since), with its findings, filtered by unit, district, place category
    and verdict; a page of them and the total.

    The tech office, auditors, police supervisors and services see every unit; a unit
    administrator its own only (another unit's `unit_id` answers 403).
    """
    return await service.channels(
        session,
        principal,
        unit_id=unit_id,
        district=district,
        category=category,
        verdict=verdict,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/channels/{recorder_id}/{recording_token}/history",
    response_model=list[ChannelResult],
    operation_id="channels.history",
    summary="The checks of one channel, newest first",
    tags=["channels"],
    responses={404: {"description": "No check of this channel is kept"}},
)
@with_verdicts
async def channel_history(
    recorder_id: uuid.UUID,
    recording_token: Annotated[
        str,
        Path(max_length=200, description="The recording's token on its recorder", examples=["Recording_3"]),
    ],
    session: SessionDep,
    service: ServiceDep,
    principal: RetentionReader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ChannelResult]:
    """What each check of one recorder channel found, newest first: each as judged at its
    time, with the footage span, gaps and findings it saw (results are kept
    `RETENTION_RESULTS_KEEP_DAYS`, 400 days by default).

    The tech office, auditors, police supervisors and services; a unit administrator for its
    own unit's channels only (403 otherwise).
    """
    return await service.history(session, principal, recorder_id, recording_token, limit)


@router.get(
    "/units/{unit_id}",
    response_model=UnitRetention,
    operation_id="units.get",
    summary="A unit's channels and its worst verdict",
    tags=["units"],
    responses=UNIT_RESPONSES,
)
@with_verdicts
async def unit_retention(
    unit_id: uuid.UUID, session: SessionDep, service: ServiceDep, principal: RetentionReader
) -> UnitRetention:
    """Every active channel of the unit as judged now, the channels per verdict, and the unit's
    verdict: its worst channel's (`null` before any check).

    The tech office, auditors, police supervisors and services; a unit administrator its own
    unit only (403 otherwise). A unit just created in the registry answers 503
    `not-yet-known` with Retry-After until retention's mirror has it (about a second); a unit
    the registry lacks too answers 404.
    """
    return await service.unit(session, principal, unit_id)


@router.post(
    "/units/{unit_id}/checks",
    response_model=UnitRetention,
    operation_id="units.check",
    summary="Check a unit's recorders now",
    tags=["units"],
    responses=UNIT_RESPONSES,
)
@with_verdicts
async def check_unit(
    unit_id: uuid.UUID, session: SessionDep, service: ServiceDep, principal: CheckRequester
) -> UnitRetention:
    """Reads every recorder of the unit now from its own ONVIF Profile G index (each reading
    bounded by `RETENTION_RECORDER_DEADLINE_S`), judges, records and publishes the results on
    `jifang.retention.v1` (the registry keeps the findings), and answers the unit's new state.

    The tech office, or the unit's own administrator proving it complies (another unit: 403).
    A unit just created in the registry answers 503 `not-yet-known` with Retry-After until
    retention's mirror has it (about a second); a unit the registry lacks too answers 404.
    """
    return await service.check_unit(session, principal, unit_id)


@router.get(
    "/summary",
    response_model=Summary,
    operation_id="summary.get",
    summary="Channels per verdict, by district or place category",
    tags=["summary"],
)
@with_verdicts
async def summary(
    session: SessionDep,
    service: ServiceDep,
    _principal: CityReader,
    by: SummaryGrouping = SummaryGrouping.DISTRICT,
) -> Summary:
    """The city's active channels counted per verdict, grouped by district or by the pack's
    place category (`null`: a channel whose unit has none).

    The tech office, auditors, police supervisors and services: city-wide counts are not for a
    unit administrator (403).
    """
    return await service.summary(session, by)


# What other services read with their service token; not in the public document.
internal_router = APIRouter(prefix="/api/v1/internal", tags=["internal"])


@internal_router.get(
    "/cameras/{camera_id}/footage",
    response_model=CameraFootage,
    operation_id="internal.camera_footage",
    summary="A camera's footage at its latest reading, against a range",
    responses={404: {"description": "No reading of the camera's recorder"}},
)
async def camera_footage(
    camera_id: uuid.UUID,
    session: SessionDep,
    service: ServiceDep,
    _: InternalService,
    range_from: Annotated[dt.datetime, Query(description="The range's start, with its UTC offset")],
    range_to: Annotated[dt.datetime, Query(description="The range's end, with its UTC offset")],
) -> CameraFootage:
    """For the gateway before a playback call-up (ruling 4: only what the recorder holds bounds a
    playback): whether the recorder held footage inside the range at its latest reading, or the
    range ends after it."""
    if range_from.tzinfo is None or range_to.tzinfo is None or range_to <= range_from:
        raise ValidationFailed.single(
            "range_to", "range", "a range with UTC offsets, its end after its start"
        )
    return await service.camera_footage(session, camera_id, range_from, range_to)
