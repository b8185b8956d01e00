"""Outages ingest saw become suspected interruptions in the registry (ruling 1): HRB art. 20(5)
"不得无故中断技防系统正常运行", KMG art. 19 "应当保证系统正常运行，不得无故中断". The platform sees
that a device went silent; whether without cause (无故) an officer decides. Maintenance the
unit declared beforehand is a cause; a device that answers but refuses the credentials is not
interrupted at all."""

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

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def went_offline(
    device: dict[str, Any], since: dt.datetime, result: int = ingest_pb2.POLL_RESULT_TIMEOUT, **kw: Any
) -> ingest_pb2.DeviceStateChange:
    event = state(device, **kw)
    event.went_offline.since.FromDatetime(since)
    event.went_offline.failed_polls = 3
    event.went_offline.last_result = result  # type: ignore[assignment]
    return event


def came_back(device: dict[str, Any], start: dt.datetime, end: dt.datetime) -> ingest_pb2.DeviceStateChange:
    event = state(device)
    event.came_back.outage_start.FromDatetime(start)
    event.came_back.outage_end.FromDatetime(end)
    event.came_back.outage_seconds = (end - start).total_seconds()
    return event


async def interruptions(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str
) -> list[dict[str, Any]]:
    return await findings_of(client, tech, unit_id, "operation_interrupted")


async def settled(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, want: int
) -> list[dict[str, Any]]:
    """The unit's interruption findings once ``want`` of them are there (or after 15 s: the
    registry's consumer may still be joining its group)."""
    items: list[dict[str, Any]] = []
    for _ in range(150):
        items = await interruptions(client, tech, unit_id)
        if len(items) >= want:
            return items
        await asyncio.sleep(0.1)
    return items


async def declare(
    client: httpx.AsyncClient, token: TokenFactory, unit_id: str, device_id: str, hours: float
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/units/{unit_id}/maintenance-windows",
        json={
            "device_ids": [device_id],
            "starts_at": dt.datetime.now(dt.UTC).isoformat(),
            "ends_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat(),
            "reason": "更换交换机",
        },
        headers=auth(token(Role.UNIT_ADMIN, unit_id=unit_id)),
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


@pytest.mark.parametrize(
    ("jurisdiction", "articles"),
    [("harbin-2008", ["HRB-2008 art. 20(5)"]), ("kunming-2012", ["KMG-2012 art. 19"])],
)
async def test_a_silent_device_is_a_suspected_interruption(
    client: httpx.AsyncClient,
    token: TokenFactory,
    producer: AIOKafkaProducer,
    jurisdiction: str,
    articles: list[str],
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction)
    camera = await create_device(client, tech, unit["id"])
    since = NOW - dt.timedelta(minutes=4)
    await send(producer, went_offline(camera, since, jurisdiction=jurisdiction))
    (suspicion,) = await settled(client, tech, unit["id"], 1)
    assert suspicion["status"] == "suspected"
    assert suspicion["articles"] == articles and suspicion["penalty"] is None  # the duty only
    assert "no maintenance declared" in suspicion["detail"]
    # Back online: the same case, with the outage's end; still for an officer to decide.
    await send(producer, came_back(camera, since, NOW))
    for _ in range(100):
        (suspicion,) = await interruptions(client, tech, unit["id"])
        if "min)" in suspicion["detail"]:
            break
        await asyncio.sleep(0.1)
    assert suspicion["status"] == "suspected" and "(4 min)" in suspicion["detail"]


async def by_device_once_each(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, devices: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The unit's interruption findings by device, once each of ``devices`` has one."""
    wanted = {d["id"] for d in devices}
    found = {f["subject_id"]: f for f in await settled(client, tech, unit_id, len(wanted))}
    for _ in range(150):
        if wanted <= set(found):
            break
        await asyncio.sleep(0.1)
        found = {f["subject_id"]: f for f in await interruptions(client, tech, unit_id)}
    assert set(found) == wanted, found
    return found


async def test_declared_maintenance_is_a_cause(
    client: httpx.AsyncClient, token: TokenFactory, producer: AIOKafkaProducer
) -> None:
    """Ruling 1: "A unit may declare maintenance windows (planned work is a cause)". An outage
    inside the window raises nothing; one that outlasts it is suspected from the window's end;
    a window on the NVR covers its channels. A device's states are applied in order: a later
    outage outside the window, sent after the covered one, shows the covered one raised nothing
    (its case names the later outage only)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    nvr = await create_device(client, tech, unit["id"], kind="nvr", location_type="server_room")
    channel = await create_device(client, tech, unit["id"], parent_id=nvr["id"], channel_no=1)
    other = await create_device(client, tech, unit["id"])
    window = await declare(client, token, unit["id"], nvr["id"], hours=1)
    start = dt.datetime.fromisoformat(window["starts_at"]) + dt.timedelta(minutes=1)
    after_window = start + dt.timedelta(hours=3)
    await send(
        producer,
        went_offline(nvr, start),
        came_back(nvr, start, start + dt.timedelta(minutes=30)),  # inside the window
        went_offline(nvr, after_window),  # the NVR's next outage, outside it
        went_offline(channel, start),
        came_back(channel, start, start + dt.timedelta(hours=2)),  # outlasts the window
        went_offline(other, start),  # not covered by the window
    )
    found = await by_device_once_each(client, tech, unit["id"], [nvr, channel, other])
    assert all(f["status"] == "suspected" for f in found.values())
    assert "past the end of its maintenance window" in found[channel["id"]]["detail"]
    nvr_case = found[nvr["id"]]["detail"]
    assert nvr_case.count("offline") == 1 and "no maintenance declared" in nvr_case, nvr_case
    assert " – " not in nvr_case  # the covered outage is not in it


async def test_answering_is_not_an_interruption(
    client: httpx.AsyncClient, token: TokenFactory, producer: AIOKafkaProducer
) -> None:
    """A device that answers but refuses the credentials, or answers what cannot be read, is
    not interrupted: no suspicion (ruling 1). Each is later silent for real: its one case names
    that outage only."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    refusing = await create_device(client, tech, unit["id"])
    garbled = await create_device(client, tech, unit["id"])
    later = NOW + dt.timedelta(minutes=10)
    await send(
        producer,
        went_offline(refusing, NOW, ingest_pb2.POLL_RESULT_AUTH_FAILURE),
        went_offline(refusing, later, ingest_pb2.POLL_RESULT_UNREACHABLE),
        went_offline(garbled, NOW, ingest_pb2.POLL_RESULT_MALFORMED),
        went_offline(garbled, later, ingest_pb2.POLL_RESULT_TIMEOUT),
    )
    found = await by_device_once_each(client, tech, unit["id"], [refusing, garbled])
    for case in found.values():
        assert case["detail"].count("offline since") == 1, case["detail"]
        assert later.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M") in case["detail"]
