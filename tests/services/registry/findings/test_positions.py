"""A changed position or scope, as the device itself shows it, becomes one suspected case per
device in the registry (ruling 1): HRB art. 20(6) "不得擅自改变技防系统用途、位置和范围"; KMG art.
21(4) "不得擅自改变公共安全语音图像信息系统的用途和摄像设备的位置" and art. 22(2) "擅自改变技防系统的用途
和范围". Whether it was done without authorisation (擅自) an officer decides: the case cites the
duty only until confirmed. A replaced device, a changed codec or bitrate, is maintenance (KMG
art. 20(2) "发生故障应当及时排除"): no case."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from jifang.auth import Role
from jifang.v1 import ingest_pb2
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit
from tests.services.registry.findings.states import findings_of, send, state

SINCE = dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)  # 09:30 in Harbin and Kunming


def away_from_preset(device: dict[str, Any], jurisdiction: str) -> ingest_pb2.DeviceStateChange:
    event = state(device, jurisdiction)
    p = event.position_changed
    p.reason = ingest_pb2.POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET
    p.preset_token = "1"
    p.preset_position.pan, p.preset_position.tilt, p.preset_position.zoom = 0.1, -0.2, 0.0
    p.position.pan, p.position.tilt, p.position.zoom = 0.6, -0.2, 0.3
    p.offset, p.tolerance, p.polls = 0.5, 0.02, 10
    p.since.FromDatetime(SINCE)
    return event


def other_video_source(device: dict[str, Any], jurisdiction: str) -> ingest_pb2.DeviceStateChange:
    event = state(device, jurisdiction)
    event.position_changed.reason = ingest_pb2.POSITION_CHANGE_REASON_VIDEO_SOURCE_CHANGED
    event.position_changed.changes.append("Profile_1 video source VideoSource_1 -> VideoSource_2")
    return event


def scene_change(device: dict[str, Any], jurisdiction: str) -> ingest_pb2.DeviceStateChange:
    event = state(device, jurisdiction)
    p = event.position_changed
    p.reason = ingest_pb2.POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING
    p.since.FromDatetime(SINCE)
    p.seconds, p.threshold_s, p.source = 900.0, 600.0, "VideoSource_1"
    return event


def back_at_preset(device: dict[str, Any], jurisdiction: str) -> ingest_pb2.DeviceStateChange:
    event = state(device, jurisdiction)
    event.position_restored.preset_token = "1"
    event.position_restored.position.pan = 0.1
    event.position_restored.away_since.FromDatetime(SINCE)
    return event


def maintenance(device: dict[str, Any], jurisdiction: str) -> list[ingest_pb2.DeviceStateChange]:
    replaced, recoded = state(device, jurisdiction), state(device, jurisdiction)
    replaced.replaced.old_serial_number, replaced.replaced.new_serial_number = "SN1", "SN2"
    recoded.configuration_changed.changes.extend(
        ["Profile_1 codec H264 -> H265", "Profile_1 bitrate 4096 -> 2048"]
    )
    return [replaced, recoded]


async def position_cases(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str
) -> list[dict[str, Any]]:
    return await findings_of(client, tech, unit_id, "purpose_position_changed")


async def until(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, check: Any, timeout: float = 15
) -> list[dict[str, Any]]:
    """The unit's position cases once ``check`` holds of them (the registry's consumer may
    still be joining its group)."""
    items: list[dict[str, Any]] = []
    for _ in range(int(timeout * 10)):
        items = await position_cases(client, tech, unit_id)
        if check(items):
            return items
        await asyncio.sleep(0.1)
    return items


@pytest.mark.parametrize(
    ("jurisdiction", "duty", "confirmed"),
    [
        ("harbin-2008", ["HRB-2008 art. 20(6)"], ["HRB-2008 art. 20(6)", "HRB-2008 art. 28(5)"]),
        (
            "kunming-2012",
            ["KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)"],
            ["KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)", "KMG-2012 art. 25"],
        ),
    ],
)
async def test_what_the_camera_shows_is_one_suspected_case_per_device(
    client: httpx.AsyncClient,
    token: TokenFactory,
    producer: AIOKafkaProducer,
    jurisdiction: str,
    duty: list[str],
    confirmed: list[str],
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction)
    dome = await create_device(client, tech, unit["id"], ptz_preset="1")
    swapped = await create_device(client, tech, unit["id"])
    await send(
        producer,
        *maintenance(swapped, jurisdiction),
        away_from_preset(dome, jurisdiction),
        other_video_source(dome, jurisdiction),
        scene_change(dome, jurisdiction),
        back_at_preset(dome, jurisdiction),
    )
    [case] = await until(
        client, tech, unit["id"], lambda items: items and "back at its preset" in items[0]["detail"]
    )
    assert case["status"] == "suspected" and case["subject_id"] == dome["id"]
    assert case["articles"] == duty and case["penalty"] is None  # the duty only, until confirmed
    detail = case["detail"]
    assert (
        "PTZ head away from its registered preset 1 since 2026-12-03 09:30 CST (10 polls in a row)" in detail
    )
    assert "the preset at pan 0.1, tilt -0.2, zoom 0, the head at pan 0.6, tilt -0.2, zoom 0.3" in detail
    assert (
        "its stream reads another video source (Profile_1 video source VideoSource_1 -> VideoSource_2)"
        in detail
    )
    assert (
        "scene-change alarm on VideoSource_1 raised since 2026-12-03 09:30 CST, still raised after 15 min"
        in detail
    )
    assert "back at its preset 1 at" in detail
    # The replaced, recoded camera: maintenance, no case.
    assert [c["subject_id"] for c in await position_cases(client, tech, unit["id"])] == [dome["id"]]
    # An officer confirms it: the penalty article applies (ruling 1).
    r = await client.post(f"/api/v1/findings/{case['id']}/confirm", headers=tech)
    assert r.status_code == 200, r.text
    assert r.json()["articles"] == confirmed and r.json()["penalty"] is not None


async def test_back_at_the_preset_opens_nothing(
    client: httpx.AsyncClient, token: TokenFactory, producer: AIOKafkaProducer
) -> None:
    """Back at the preset is recorded by ingest; without an open case it raises nothing."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    dome = await create_device(client, tech, unit["id"], ptz_preset="1")
    other = await create_device(client, tech, unit["id"], ptz_preset="2")
    await send(producer, back_at_preset(dome, "harbin-2008"), away_from_preset(other, "harbin-2008"))
    found = await until(client, tech, unit["id"], bool)
    await asyncio.sleep(0.5)  # nothing more arrives for the first camera
    assert [c["subject_id"] for c in found] == [other["id"]]


async def test_a_camera_carries_the_preset_it_must_rest_at(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """The registered preset (an ONVIF token, at most 64 characters) is what the platform reads
    the camera against; a recorder has none; null clears it."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    dome = await create_device(client, tech, unit["id"], ptz_preset="Preset_3")
    assert dome["ptz_preset"] == "Preset_3"
    r = await client.patch(f"/api/v1/devices/{dome['id']}", json={"ptz_preset": None}, headers=tech)
    assert r.status_code == 200 and r.json()["ptz_preset"] is None
    path = f"/api/v1/units/{unit['id']}/devices"
    nvr = {"kind": "nvr", "name": "录像机", "location_type": "server_room", "ptz_preset": "1"}
    r = await client.post(path, json=nvr, headers=tech)
    assert r.status_code == 422, r.text
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("ptz_preset", "camera-only")]
    for bad in ("a b", "x" * 65, ""):
        body = {"kind": "camera", "name": "球机", "location_type": "entrance", "ptz_preset": bad}
        r = await client.post(path, json=body, headers=tech)
        assert r.status_code == 422 and "ptz_preset" in r.text, bad
