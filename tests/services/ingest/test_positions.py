"""End to end, through the real pieces: cameras registered in the registry (a PTZ camera with the
preset it must rest at), ingest polling the simulated devices, the simulator's control API
turning a camera and raising a scene change, and the registry opening one suspected case per
camera that cites the duty only (ruling 1):

- HRB art. 20(6): "不得擅自改变技防系统用途、位置和范围";
- KMG art. 21(4): "不得擅自改变公共安全语音图像信息系统的用途和摄像设备的位置", art. 22(2):
  "擅自改变技防系统的用途和范围".

A replaced camera, or one whose codec and bitrate changed, is maintenance (KMG art. 20(2)
"发生故障应当及时排除"): recorded by ingest, no case. A camera without PTZ, or one whose firmware
cannot say where it points, polls as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.broker import free_port
from jifang.auth import Role
from jifang.policy import PlatformDefault, PolicyBook, load_policy_book
from jifang.topics import HEALTH_TOPIC, STATE_TOPIC
from jifang.v1 import ingest_pb2
from simulator.device import SimDevice
from simulator.ptz import PtzHead
from simulator.server import Fleet, control_app
from tests.conftest import TokenFactory, auth
from tests.services.ingest.conftest import pipeline, tail_topics
from tests.services.registry.factories import create_device, create_unit
from tests.services.registry.findings.states import findings_of

HEAD = {"presets": [{"token": "1", "name": "营业厅", "pan": 0.1, "tilt": -0.2, "zoom": 0.0}]}


def quick_book() -> PolicyBook:
    """The packs as shipped, but a camera away from its preset for 2 polls (1 s apart here) and a
    scene change raised for 2 s are enough: the same rules, on a test's clock."""
    book = load_policy_book()
    quick = {
        "ptz_away_polls": PlatformDefault(value=2, platform_default=True),
        "scene_change_persisting_s": PlatformDefault(value=2, platform_default=True),
    }
    return PolicyBook(
        {
            pack_id: book[pack_id].model_copy(
                update={"platform_defaults": {**book[pack_id].platform_defaults, **quick}}
            )
            for pack_id in book.ids()
        }
    )


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start(
        [
            SimDevice("dome", password="pw"),
            SimDevice("mute-dome", password="pw", ptz=PtzHead(dialect="status_fault")),
            SimDevice("fixed", password="pw"),
            SimDevice("lobby", password="pw"),
        ]
    )
    yield f
    await f.stop()


@pytest.fixture
async def control(fleet: Fleet) -> AsyncIterator[aiohttp.ClientSession]:
    """The simulator's control API over HTTP, as tests in other processes use it."""
    runner = web.AppRunner(control_app(fleet))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
        yield session
    await runner.cleanup()


class Topics:
    """What ingest publishes about the test's devices, as it comes."""

    def __init__(self, tail: AIOKafkaConsumer, names: dict[str, str]) -> None:
        self.tail, self.names = tail, names
        self.states: list[tuple[str, ingest_pb2.DeviceStateChange]] = []
        self.health: dict[str, list[ingest_pb2.HealthSample]] = {n: [] for n in names.values()}

    async def until(self, check: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, [(n, s.WhichOneof("change")) for n, s in self.states]
            for records in (await self.tail.getmany(timeout_ms=300)).values():
                for rec in records:
                    if rec.topic == HEALTH_TOPIC:
                        sample = ingest_pb2.HealthSample.FromString(rec.value)
                        if sample.device_id in self.names:
                            self.health[self.names[sample.device_id]].append(sample)
                    else:
                        change = ingest_pb2.DeviceStateChange.FromString(rec.value)
                        if change.device_id in self.names:
                            self.states.append((self.names[change.device_id], change))

    def changes(self, name: str) -> list[str]:
        return [str(s.WhichOneof("change")) for n, s in self.states if n == name]


async def position_cases(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str
) -> list[dict[str, Any]]:
    return await findings_of(client, tech, unit_id, "purpose_position_changed")


async def eventually_cases(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, count: int
) -> list[dict[str, Any]]:
    for _ in range(200):
        found = await position_cases(client, tech, unit_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    return found


async def test_a_turned_camera_and_a_persisting_scene_change_are_suspected_maintenance_is_not(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
    fleet: Fleet,
    control: aiohttp.ClientSession,
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    harbin = await create_unit(client, tech, "harbin-2008")
    kunming = await create_unit(client, tech, "kunming-2012")
    assert (await control.patch("/devices/dome", json={"ptz": HEAD})).status == 200

    async def register(name: str, unit: dict[str, Any], preset: str | None = None) -> str:
        sim = fleet.devices[name]
        device = await create_device(
            client,
            tech,
            unit["id"],
            name=name,
            onvif_address=f"{sim.base_url}/onvif/device_service",
            username=sim.username,
            password=sim.password,
            ptz_preset=preset,
        )
        return str(device["id"])

    ids = {
        "dome": await register("dome", harbin, preset="1"),
        "mute-dome": await register("mute-dome", harbin, preset="1"),
        "fixed": await register("fixed", harbin),
        "lobby": await register("lobby", kunming),
    }
    ingest = pipeline(ingest_maker, bootstrap, registry_url, token(Role.SERVICE), book=quick_book())
    topics = Topics(await tail_topics(bootstrap, [HEALTH_TOPIC, STATE_TOPIC]), {v: k for k, v in ids.items()})
    await ingest.start()
    try:
        # Every camera polls fine: a fixed one makes no PTZ call; the mute dome's GetStatus fault
        # is recorded in its sample, and the poll is still ok.
        await topics.until(lambda: all(len(samples) >= 3 for samples in topics.health.values()))
        assert all(
            s.result == ingest_pb2.POLL_RESULT_OK for samples in topics.health.values() for s in samples
        )
        fixed = {c.operation for c in topics.health["fixed"][-1].calls}
        assert "GetVideoSources" in fixed and not fixed & {"GetPresets", "GetStatus"}
        mute = {c.operation: c.result for c in topics.health["mute-dome"][-1].calls}
        assert (
            mute["GetStatus"] == ingest_pb2.POLL_RESULT_SOAP_FAULT
            and mute["GetPresets"] == ingest_pb2.POLL_RESULT_OK
        )
        dome = {c.operation: c.result for c in topics.health["dome"][-1].calls}
        assert dome["GetStatus"] == ingest_pb2.POLL_RESULT_OK
        assert topics.changes("dome") == []  # at rest on its preset

        # Someone turns the dome; the fixed camera is swapped and re-encoded (maintenance); a
        # scene change is raised in Kunming's lobby and stays raised.
        assert (
            await control.patch("/devices/dome", json={"ptz_position": {"pan": 0.6, "zoom": 0.3}})
        ).status == 200
        swap = {"replace": True, "stream": {"token": "Profile_1", "encoding": "H265", "bitrate_kbps": 2048}}
        assert (await control.patch("/devices/fixed", json=swap)).status == 200
        lobby = fleet.devices["lobby"]
        deadline = time.monotonic() + 20
        while not lobby.event_source.pull_points:
            assert time.monotonic() < deadline, "no subscription"
            await asyncio.sleep(0.1)
        assert (await control.post("/devices/lobby/alarms", json={"kind": "scene_change"})).status == 202

        await topics.until(
            lambda: (
                "position_changed" in topics.changes("dome")
                and "position_changed" in topics.changes("lobby")
                and {"replaced", "configuration_changed"} <= set(topics.changes("fixed"))
            )
        )
        moved = next(s for n, s in topics.states if n == "dome" and s.HasField("position_changed"))
        p = moved.position_changed
        assert p.reason == ingest_pb2.POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET
        assert (p.preset_token, p.position.pan, p.polls) == ("1", pytest.approx(0.6), 2)
        assert list(moved.articles) == ["HRB-2008 art. 20(6)"]
        scene = next(s for n, s in topics.states if n == "lobby" and s.HasField("position_changed"))
        assert scene.position_changed.reason == ingest_pb2.POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING
        assert list(scene.articles) == ["KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)"]
        assert all(s.articles == [] for n, s in topics.states if n == "fixed")  # maintenance: no article

        # The registry: one suspected case per camera, the duty only, saying what it showed.
        [turned] = await eventually_cases(client, tech, harbin["id"], 1)
        assert (turned["subject_id"], turned["status"]) == (ids["dome"], "suspected")
        assert turned["articles"] == ["HRB-2008 art. 20(6)"] and turned["penalty"] is None
        assert "PTZ head away from its registered preset 1" in turned["detail"]
        assert "the head at pan 0.6, tilt -0.2, zoom 0.3" in turned["detail"]
        [viewed] = await eventually_cases(client, tech, kunming["id"], 1)
        assert (viewed["subject_id"], viewed["status"]) == (ids["lobby"], "suspected")
        assert (
            viewed["articles"] == ["KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)"] and viewed["penalty"] is None
        )
        assert "scene-change alarm on VideoSource_1 raised since" in viewed["detail"]

        # Back at its preset: recorded, and added to the open case for the officer.
        assert (await control.patch("/devices/dome", json={"ptz_position": {"preset": "1"}})).status == 200
        await topics.until(lambda: "position_restored" in topics.changes("dome"))
        for _ in range(100):
            [turned] = await position_cases(client, tech, harbin["id"])
            if "back at its preset 1" in turned["detail"]:
                break
            await asyncio.sleep(0.1)
        assert "back at its preset 1" in turned["detail"] and turned["status"] == "suspected"
        # Still one case in Harbin: the swapped, re-encoded camera raised none.
        assert [c["subject_id"] for c in await position_cases(client, tech, harbin["id"])] == [ids["dome"]]
    finally:
        await ingest.stop()
        await topics.tail.stop()
