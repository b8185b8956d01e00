from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from services.retention.deps import CheckRequester, CityReader, RetentionReader, ServiceDep, SessionDep
from services.retention.schemas import ChannelPage, ChannelResult, Summary, UnitRetention, Verdict

router = APIRouter(prefix="/api/v1", tags=["retention"])


@router.get("/channels", response_model=ChannelPage)
async def list_channels(
    session: SessionDep,
    service: ServiceDep,
    principal: RetentionReader,
    unit_id: uuid.UUID | None = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=50, description="A pack category code")] = None,
    verdict: Verdict | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ChannelPage:
    """Every recorder channel's latest result, filtered by unit, district, category, verdict."""
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


@router.get("/channels/{recorder_id}/{recording_token}/history", response_model=list[ChannelResult])
async def channel_history(
    recorder_id: uuid.UUID,
    recording_token: Annotated[str, Path(max_length=200)],
    session: SessionDep,
    service: ServiceDep,
    principal: RetentionReader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ChannelResult]:
    """The checks of one channel, newest first."""
    return await service.history(session, principal, recorder_id, recording_token, limit)


@router.get("/units/{unit_id}", response_model=UnitRetention)
async def unit_retention(
    unit_id: uuid.UUID, session: SessionDep, service: ServiceDep, principal: RetentionReader
) -> UnitRetention:
    return await service.unit(session, principal, unit_id)


@router.post("/units/{unit_id}/checks", response_model=UnitRetention)
async def check_unit(
    unit_id: uuid.UUID, session: SessionDep, service: ServiceDep, principal: CheckRequester
) -> UnitRetention:
    """Check every recorder of the unit now (each bounded in time); its results."""
    return await service.check_unit(session, principal, unit_id)


@router.get("/summary", response_model=Summary)
async def summary(
    session: SessionDep,
    service: ServiceDep,
    _principal: CityReader,
    by: Literal["district", "category"] = "district",
) -> Summary:
    """Channels per verdict, by district or by category."""
    return await service.summary(session, by)
