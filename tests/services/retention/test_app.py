"""Retention as a process serves it: a Harbin and a Kunming unit with recorders of 40 days,
10 days and 40 days with a gap; the verdicts and articles through the API (per channel, unit,
district, category, with history), on /metrics and on the retention topic; who may see what;
the daily check finding recorders registered after start-up by itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from jifang.auth import Role
from jifang.topics import RETENTION_TOPIC
from jifang.v1 import retention_pb2
from services.retention.app import create_app
from services.retention.models import MirroredDevice, MirroredMaintenanceWindow, MirroredSystem
from services.retention.settings import RetentionSettings
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import AUDIENCE, ISSUER, TokenFactory, auth
from tests.services.ingest.conftest import tail_topics
from tests.services.registry.factories import create_device, create_unit
from tests.services.retention.conftest import retention_maker  # noqa: F401 - the schema

PASSWORD = "sim-pw"
LAYOUTS = {"forty": [{"days": 40}], "ten": [{"days": 10}], "gap": [{"days": 40, "gaps": [[3, 2.5]]}]}


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start(
        [
            SimDevice(f"{city}-{name}", kind="nvr", password=PASSWORD)
            for city in ("hrb", "kmg")
            for name in LAYOUTS
        ]
    )
    for city in ("hrb", "kmg"):
        for name, layout in LAYOUTS.items():
            await f.update(f"{city}-{name}", {"recordings": layout})
    yield f
    await f.stop()


def settings_for(
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    **over: Any,
) -> RetentionSettings:
    return RetentionSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        registry_url=registry_url,
        service_token=SecretStr(token(Role.SERVICE)),
        consumer_group=f"retention-test-{uuid.uuid4().hex[:6]}",
        jwt_public_key=SecretStr(signing_keys[1]),
        jwt_public_key_file=None,
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        recorder_deadline_s=6,
        call_timeout_s=2,
        metrics_refresh_s=0.2,
        outbox_poll_interval_s=0.1,
        **over,
    )


@pytest.fixture
async def app_client(
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    retention_maker: Any,  # noqa: F811
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        settings_for(database_url, bootstrap, registry_url, token, signing_keys, checks_enabled=False)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://retention") as c,
    ):
        yield app, c


async def register(
    client: httpx.AsyncClient, token: TokenFactory, fleet: Fleet, city: str, jurisdiction: str
) -> tuple[dict[str, Any], dict[str, str]]:
    headers = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, headers, jurisdiction)
    ids = {}
    for name in LAYOUTS:
        ids[name] = (await create_nvr(client, headers, unit["id"], fleet.devices[f"{city}-{name}"]))["id"]
    return unit, ids


async def create_nvr(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: str, sim: SimDevice
) -> dict[str, Any]:
    """The simulated NVR registered in the unit's server room, with its address and credentials."""
    return await create_device(
        client,
        headers,
        unit_id,
        kind="nvr",
        name=sim.device_id,
        location_type="server_room",
        onvif_address=f"{sim.base_url}/onvif/device_service",
        username=sim.username,
        password=PASSWORD,
    )


async def wait_mirrored(c: httpx.AsyncClient, headers: dict[str, str], unit_id: str) -> None:
    """The registry's events reach retention's mirror through Kafka."""
    for _ in range(100):
        if (await c.get(f"/api/v1/units/{unit_id}", headers=headers)).status_code == 200:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the unit never reached retention's mirror")


async def test_verdicts_for_a_harbin_and_a_kunming_unit(
    client: httpx.AsyncClient,
    token: TokenFactory,
    fleet: Fleet,
    bootstrap: str,
    app_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, c = app_client
    tech = auth(token(Role.TECH_OFFICE))
    hrb, hrb_ids = await register(client, token, fleet, "hrb", "harbin-2008")
    kmg, kmg_ids = await register(client, token, fleet, "kmg", "kunming-2012")
    await wait_mirrored(c, tech, hrb["id"])
    await wait_mirrored(c, tech, kmg["id"])
    topic = await tail_topics(bootstrap, [RETENTION_TOPIC])
    try:
        r = await c.post(f"/api/v1/units/{hrb['id']}/checks", headers=tech)
        assert r.status_code == 200, r.text
        unit = r.json()
        by_recorder = {ch["recorder_id"]: ch for ch in unit["channels"]}
        assert by_recorder[hrb_ids["forty"]]["verdict"] == "compliant"
        ten = by_recorder[hrb_ids["ten"]]
        assert ten["verdict"] == "violating" and ten["required_days"] == 15
        assert ten["findings"][0]["articles"] == ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]
        assert by_recorder[hrb_ids["gap"]]["findings"][0]["kind"] == "gap"
        assert unit["verdict"] == "violating" and unit["counts"] == {
            "compliant": 1,
            "violating": 2,
            "not_yet_due": 0,
            "cannot_verify": 0,
        }
        r = await c.post(f"/api/v1/units/{kmg['id']}/checks", headers=tech)
        kmg_channels = {ch["recorder_id"]: ch for ch in r.json()["channels"]}
        assert kmg_channels[kmg_ids["forty"]]["verdict"] == "compliant"
        assert kmg_channels[kmg_ids["ten"]]["findings"][0]["articles"] == [
            "KMG-2012 art. 19",
            "KMG-2012 art. 25",
        ]
        assert kmg_channels[kmg_ids["ten"]]["requirement_source"] == "KMG-2012 art. 19"

        # Filters: by district and verdict; the summary by district; a channel's history.
        page = (
            await c.get(
                "/api/v1/channels", params={"district": kmg["district"], "verdict": "violating"}, headers=tech
            )
        ).json()
        assert page["total"] == 2 and {i["unit_id"] for i in page["items"]} == {kmg["id"]}
        summary = (await c.get("/api/v1/summary", params={"by": "district"}, headers=tech)).json()
        groups = {g["group"]: g["counts"] for g in summary["groups"]}
        assert groups[hrb["district"]]["violating"] == 2 and groups[hrb["district"]]["compliant"] == 1
        await c.post(f"/api/v1/units/{hrb['id']}/checks", headers=tech)
        history = (await c.get(f"/api/v1/channels/{hrb_ids['ten']}/Recording_1/history", headers=tech)).json()
        assert [h["verdict"] for h in history] == ["violating", "violating"]
        assert history[0]["checked_at"] > history[1]["checked_at"]

        # Every result is on the retention topic, keyed by its unit.
        seen: list[retention_pb2.RetentionChecked] = []
        deadline = asyncio.get_running_loop().time() + 15
        while len(seen) < 9 and asyncio.get_running_loop().time() < deadline:
            for records in (await topic.getmany(timeout_ms=500)).values():
                seen.extend(retention_pb2.RetentionChecked.FromString(r.value) for r in records)
        ten_events = [e for e in seen if e.recorder_id == hrb_ids["ten"]]
        assert len(ten_events) == 2 and ten_events[0].verdict == "violating"
        assert list(ten_events[0].findings[0].articles) == ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]
    finally:
        await topic.stop()

    # The registry keeps them as the unit's findings, for the tech office to act on: the short
    # footage a measured case, the interruption a suspicion (ruling 1).
    for _ in range(100):
        r = await client.get("/api/v1/findings", params={"unit_id": hrb["id"]}, headers=tech)
        rules = sorted((f["rule"], f["status"]) for f in r.json()["items"] if f["subject_type"] == "recorder")
        if rules == [("operation_interrupted", "suspected"), ("retention_short", "open")]:
            break
        await asyncio.sleep(0.1)
    assert rules == [("operation_interrupted", "suspected"), ("retention_short", "open")]

    # The gauges by district and category.
    for _ in range(50):
        metrics = (await c.get("/metrics")).text
        line = f'retention_channels{{category="none",district="{kmg["district"]}",verdict="compliant"}} 1.0'
        if line in metrics:
            break
        await asyncio.sleep(0.1)
    assert line in metrics
    assert "retention_check_duration_seconds_count" in metrics


async def test_who_sees_what(
    client: httpx.AsyncClient,
    token: TokenFactory,
    fleet: Fleet,
    app_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _app, c = app_client
    unit, _ids = await register(client, token, fleet, "hrb", "harbin-2008")
    tech = auth(token(Role.TECH_OFFICE))
    await wait_mirrored(c, tech, unit["id"])
    own = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    other = auth(token(Role.UNIT_ADMIN, unit_id=str(uuid.uuid4())))
    assert (await c.post(f"/api/v1/units/{unit['id']}/checks", headers=own)).status_code == 200
    assert (await c.get(f"/api/v1/units/{unit['id']}", headers=other)).status_code == 403
    listed = (await c.get("/api/v1/channels", headers=own)).json()
    assert listed["total"] == 3 and {i["unit_id"] for i in listed["items"]} == {unit["id"]}
    assert (await c.get("/api/v1/summary", headers=own)).status_code == 403
    operator = auth(token(Role.POLICE_OPERATOR))
    r = await c.post(f"/api/v1/units/{unit['id']}/checks", headers=operator)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    missing = await c.post(f"/api/v1/units/{uuid.uuid4()}/checks", headers=tech)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    bad = await c.get("/api/v1/channels", params={"verdict": "fine"}, headers=tech)
    assert bad.status_code == 422 and "verdict" in bad.text


async def test_the_daily_check_spreads_and_repeats(
    client: httpx.AsyncClient,
    token: TokenFactory,
    fleet: Fleet,
    database_url: str,
    bootstrap: str,
    registry_url: str,
    signing_keys: tuple[str, str],
    retention_maker: Any,  # noqa: F811
) -> None:
    """With a 4-second "day", recorders registered after start-up are checked by the loop
    alone, each at its own moment, again one interval later."""
    app = create_app(
        settings_for(database_url, bootstrap, registry_url, token, signing_keys, check_interval_s=4)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://retention") as c,
    ):
        loop = app.state.loops[-1]
        loop.idle_s = 0.2
        unit, ids = await register(client, token, fleet, "kmg", "kunming-2012")
        tech = auth(token(Role.TECH_OFFICE))
        await wait_mirrored(c, tech, unit["id"])
        for _ in range(100):
            unit_view = (await c.get(f"/api/v1/units/{unit['id']}", headers=tech)).json()
            if len(unit_view["channels"]) == 3:
                break
            await asyncio.sleep(0.1)
        assert {ch["verdict"] for ch in unit_view["channels"]} == {"compliant", "violating"}
        await asyncio.sleep(6)
        history = (await c.get(f"/api/v1/channels/{ids['forty']}/Recording_1/history", headers=tech)).json()
        assert 2 <= len(history) <= 3  # once per 4 s interval, not once per loop turn


async def test_a_new_unit_is_known_within_a_second(
    client: httpx.AsyncClient,
    token: TokenFactory,
    app_client: tuple[FastAPI, httpx.AsyncClient],
    retention_maker: Any,  # noqa: F811
) -> None:
    """Until its mirror has it, retention says "not yet known, retry" (503, Retry-After), not a
    404 that a client or a cache would take as final; a unit the registry lacks is a 404."""
    _app, c = app_client
    tech = auth(token(Role.TECH_OFFICE))
    await wait_mirrored(c, tech, (await create_unit(client, tech))["id"])  # the mirror is following
    loop = asyncio.get_running_loop()
    unit = await create_unit(client, tech)
    device = await create_device(client, tech, unit["id"], kind="nvr", location_type="server_room")
    created = loop.time()
    answers = []
    while True:
        r = await c.get(f"/api/v1/units/{unit['id']}", headers=tech)
        answers.append(r.status_code)
        if r.status_code == 200:
            break
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "/problems/not-yet-known" and r.headers["retry-after"] == "1"
        assert loop.time() - created < 5, answers
        await asyncio.sleep(0.02)
    while True:  # the device came after the unit: its event may come a batch later
        async with retention_maker() as session:
            if await session.get(MirroredDevice, uuid.UUID(device["id"])) is not None:
                break
        assert loop.time() - created < 5
        await asyncio.sleep(0.02)
    known_after = loop.time() - created
    assert known_after < 1.0, (known_after, answers)
    r = await c.get(f"/api/v1/units/{uuid.uuid4()}", headers=tech)
    assert r.status_code == 404


async def _eventually(maker: Any, check: Any) -> None:
    for _ in range(200):
        async with maker() as session:
            if await check(session):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the registry's event never reached retention's mirror")


async def test_declarations_follow_the_registry_events(
    client: httpx.AsyncClient,
    token: TokenFactory,
    app_client: tuple[FastAPI, httpx.AsyncClient],
    retention_maker: Any,  # noqa: F811
) -> None:
    """A system's recording declaration and a unit's maintenance window reach the mirror the
    judge reads through the registry's topic (no sync): declared, changed, cancelled."""
    _app, c = app_client
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    await wait_mirrored(c, tech, unit["id"])  # the mirror has caught up with the topic
    nvr = await create_device(client, tech, unit["id"], kind="nvr", location_type="server_room")
    schedule = {"mode": "scheduled", "schedule": [{"days": [6, 7], "start": "22:00", "end": "06:00"}]}
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "recording": schedule},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    system_id = uuid.UUID(r.json()["id"])

    async def declared(session: Any) -> bool:
        system = await session.get(MirroredSystem, system_id)
        return system is not None and system.recording == schedule

    await _eventually(retention_maker, declared)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    r = await client.post(
        f"/api/v1/units/{unit['id']}/maintenance-windows",
        json={
            "device_ids": [nvr["id"]],
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "reason": "固件升级",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    window_id = uuid.UUID(r.json()["id"])

    async def mirrored(session: Any) -> bool:
        window = await session.get(MirroredMaintenanceWindow, window_id)
        return window is not None and window.device_ids == [uuid.UUID(nvr["id"])]

    await _eventually(retention_maker, mirrored)
    assert (
        await client.post(f"/api/v1/maintenance-windows/{window_id}/cancel", headers=admin)
    ).status_code == 200

    async def gone(session: Any) -> bool:
        return await session.get(MirroredMaintenanceWindow, window_id) is None

    await _eventually(retention_maker, gone)
