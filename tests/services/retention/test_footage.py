"""What a camera's recorder held at retention's latest reading, against a playback range: the
one thing that bounds a police playback (ruling 4: "不得少于15日" / "不得少于30日" are minimums a
unit keeps, not limits on how far back the police may look)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.db import session_scope
from jifang.errors import ValidationFailed
from jifang.policy import load_policy_book
from jifang.retention_client import RetentionClient
from services.gateway.callups import CallUps
from services.gateway.schemas import CallUpRequest
from services.retention.observations import ObservationRepository
from services.retention.partitions import PartitionRepository
from services.retention.repository import FleetRepository
from tests.conftest import TokenFactory, auth
from tests.services.retention.conftest import mirror_unit
from tests.services.retention.test_app import app_client  # noqa: F401 - the real retention app
from tests.services.retention.test_evaluation import NOW, _recorder, store


async def test_footage_held_in_a_range_at_the_latest_reading(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    camera_id = uuid.uuid4()
    async with session_scope(retention_maker) as session:
        unit_id = await mirror_unit(session)
        recorder_id = uuid.uuid4()
        await FleetRepository(session).upsert_devices([_recorder(recorder_id, unit_id)])
        await PartitionRepository(session).ensure({NOW.date(), (NOW - dt.timedelta(days=2)).date()})
        obs = ObservationRepository(session)
        # Footage from 40 days ago to 10 days ago, and the last 2 days: a gap between.
        await store(
            obs, unit_id, recorder_id, NOW, [(40.0, 10.0), (2.0, 0.0)], "Recording", 0.0, camera_id=camera_id
        )

    def days_ago(d: float) -> dt.datetime:
        return NOW - dt.timedelta(days=d)

    async with session_scope(retention_maker) as session:
        obs = ObservationRepository(session)
        # 35 days back, beyond any retention minimum: held, so a playback is not refused.
        held = await obs.camera_footage(camera_id, days_ago(35), days_ago(34))
        assert held is not None and held[0] == NOW and held[3] is True
        # Inside the gap, and before the earliest footage: nothing held.
        gap = await obs.camera_footage(camera_id, days_ago(6), days_ago(5))
        assert gap is not None and gap[3] is False
        before = await obs.camera_footage(camera_id, days_ago(60), days_ago(59))
        assert before is not None and before[3] is False
        # Ending after the reading: what was recorded since cannot be judged from it.
        since = await obs.camera_footage(camera_id, days_ago(6), NOW + dt.timedelta(hours=1))
        assert since is not None and since[3] is True
        # A camera never read: no reading (the gateway says cannot_verify).
        assert await obs.camera_footage(uuid.uuid4(), days_ago(1), days_ago(0.5)) is None


async def test_the_gateway_refuses_a_playback_only_where_the_recorder_held_nothing(
    app_client: tuple[FastAPI, httpx.AsyncClient],  # noqa: F811 - the fixture
    retention_maker: async_sessionmaker[AsyncSession],
    token: TokenFactory,
) -> None:
    """Retention's footage view, read by the gateway's client over retention's real API, decides
    the one refusal a playback may get (ruling 4); nothing else bounds how far back it reaches."""
    app, _ = app_client
    camera_id = uuid.uuid4()
    async with session_scope(retention_maker) as session:
        unit_id = await mirror_unit(session)
        recorder_id = uuid.uuid4()
        await FleetRepository(session).upsert_devices([_recorder(recorder_id, unit_id)])
        await PartitionRepository(session).ensure({NOW.date()})
        obs = ObservationRepository(session)
        await store(
            obs, unit_id, recorder_id, NOW, [(40.0, 10.0), (2.0, 0.0)], "Recording", 0.0, camera_id=camera_id
        )
    client = RetentionClient("http://retention", token(Role.SERVICE), transport=httpx.ASGITransport(app=app))
    callups = CallUps(None, None, load_policy_book(), None, footage=client)  # type: ignore[arg-type]  # the check needs none
    try:
        old = CallUpRequest(
            camera_id=str(camera_id),
            mode="playback",
            range_from=NOW - dt.timedelta(days=35),
            range_to=NOW - dt.timedelta(days=35) + dt.timedelta(hours=2),
        )
        assert await callups._check_footage(camera_id, old) == "held"
        in_gap = old.model_copy(
            update={"range_from": NOW - dt.timedelta(days=6), "range_to": NOW - dt.timedelta(days=5)}
        )
        with pytest.raises(ValidationFailed) as refused:
            await callups._check_footage(camera_id, in_gap)
        assert (
            refused.value.errors[0].rule == "footage-held" and "art." not in refused.value.errors[0].message
        )
        # Never read: the call-up goes ahead, said so.
        assert await callups._check_footage(uuid.uuid4(), old) == "cannot_verify"
        # Hostile ranges: no UTC offset, an end before the start, a NUL, not a date.
        path = f"/internal/cameras/{camera_id}/footage"
        start, end = NOW - dt.timedelta(days=1), NOW
        for params in (
            {
                "range_from": start.replace(tzinfo=None).isoformat(),
                "range_to": end.replace(tzinfo=None).isoformat(),
            },
            {"range_from": end.isoformat(), "range_to": start.isoformat()},
            {"range_from": start.isoformat() + "\x00", "range_to": end.isoformat()},
            {"range_from": "yesterday", "range_to": end.isoformat()},
        ):
            r = await client._http.get(path, params=params)
            assert r.status_code in (400, 422) and r.headers["content-type"] == "application/problem+json", (
                r.text
            )
        # Only services read it.
        r = await client._http.get(
            f"/internal/cameras/{camera_id}/footage",
            params={"range_from": old.range_from.isoformat(), "range_to": old.range_to.isoformat()},  # type: ignore[union-attr]
            headers=auth(token(Role.UNIT_ADMIN, unit_id=str(unit_id))),
        )
        assert r.status_code == 403
    finally:
        await client.aclose()
