"""NVR self-registration: one-time token, idempotent re-registration with the recorder's own
credential, device replaced, heartbeats and offline after 3 missed intervals."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit


def registration(token: str | None, serial: str = "SN-0001", **over: Any) -> dict[str, Any]:
    """A recorder's registration: with its enrollment token the first time, without (None) when
    it registers again."""
    return {
        **({"enrollment_token": token} if token is not None else {}),
        "name": "NVR-大厅",
        "serial_number": serial,
        "manufacturer": "Acme",
        "onvif_address": "http://10.0.0.10/onvif/device_service",
        "heartbeat_interval_s": 5,
        "channels": [
            {"channel_no": 1, "name": "大门", "location_type": "entrance"},
            {"channel_no": 2, "name": "柜台", "location_type": "counter"},
        ],
        **over,
    }


async def _enroll(
    client: httpx.AsyncClient, token: TokenFactory
) -> tuple[dict[str, Any], str, dict[str, str]]:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    r = await client.post(
        f"/api/v1/units/{unit['id']}/enrollment-tokens", json={"label": "大厅NVR"}, headers=admin
    )
    assert r.status_code == 201, r.text
    nvr = auth(token(Role.NVR, subject=f"nvr-{uuid.uuid4().hex[:8]}"))
    return unit, r.json()["token"], nvr


async def test_register_is_idempotent_and_declares_channels(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit, enrollment, nvr = await _enroll(client, token)
    first = await client.post("/api/v1/nvr/register", json=registration(enrollment), headers=nvr)
    assert first.status_code == 200, first.text
    again = await client.post("/api/v1/nvr/register", json=registration(None), headers=nvr)
    assert again.json() == first.json()
    body = first.json()
    assert body["unit_id"] == unit["id"] and body["replaced"] is False
    assert set(body["channel_ids"]) == {"1", "2"}
    tech = auth(token(Role.TECH_OFFICE))
    r = await client.get("/api/v1/devices", params={"unit_id": unit["id"], "sort": "name"}, headers=tech)
    devices = r.json()["items"]
    assert r.json()["total"] == 3
    cams = [d for d in devices if d["kind"] == "camera"]
    assert {d["parent_id"] for d in cams} == {body["device_id"]}
    assert {d["channel_no"] for d in cams} == {1, 2}


async def test_token_is_one_time(client: httpx.AsyncClient, token: TokenFactory) -> None:
    _, enrollment, nvr = await _enroll(client, token)
    assert (
        await client.post("/api/v1/nvr/register", json=registration(enrollment), headers=nvr)
    ).status_code == 200
    other = auth(token(Role.NVR, subject="nvr-intruder"))
    r = await client.post("/api/v1/nvr/register", json=registration(enrollment, serial="SN-X"), headers=other)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "single-use"
    r = await client.post("/api/v1/nvr/register", json=registration("x" * 43), headers=other)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "valid-enrollment-token"


async def test_new_serial_is_recorded_as_device_replaced(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    _, enrollment, nvr = await _enroll(client, token)
    await client.post("/api/v1/nvr/register", json=registration(enrollment), headers=nvr)
    r = await client.post("/api/v1/nvr/register", json=registration(None, serial="SN-0002"), headers=nvr)
    assert r.status_code == 200
    assert r.json()["replaced"] is True
    # Maintenance (KMG art. 20(2)), recorded: no breach of HRB art. 20(6) is cited.
    assert r.json()["replacement_articles"] == []
    # A heartbeat with the old serial is refused until it registers again.
    r = await client.post("/api/v1/nvr/heartbeat", json={"serial_number": "SN-0001"}, headers=nvr)
    assert r.status_code == 409


async def test_channel_in_forbidden_place_is_refused(client: httpx.AsyncClient, token: TokenFactory) -> None:
    _, enrollment, nvr = await _enroll(client, token)
    body = registration(enrollment)
    body["channels"].append({"channel_no": 3, "name": "更衣室", "location_type": "changing_room"})
    r = await client.post("/api/v1/nvr/register", json=body, headers=nvr)
    assert r.status_code == 422 and r.json()["article"] == "HRB-2008 art. 19 para. 2"


async def test_missing_three_heartbeats_makes_it_offline(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    _, enrollment, nvr = await _enroll(client, token)
    reg = registration(enrollment, heartbeat_interval_s=5)
    body = (await client.post("/api/v1/nvr/register", json=reg, headers=nvr)).json()
    tech = auth(token(Role.TECH_OFFICE))
    r = await client.post("/api/v1/nvr/heartbeat", json={}, headers=nvr)
    assert r.json()["status"] == "online" and r.json()["next_heartbeat_in_s"] == 5
    device = (await client.get(f"/api/v1/devices/{body['device_id']}", headers=tech)).json()
    assert device["status"] == "online"
    # Three intervals (15 s) without a heartbeat: the watchdog marks it offline.
    for _ in range(60):
        await asyncio.sleep(0.5)
        device = (await client.get(f"/api/v1/devices/{body['device_id']}", headers=tech)).json()
        if device["status"] == "offline":
            break
    assert device["status"] == "offline"
    # Silent without a declared cause: a suspected interruption (HRB art. 20(5) "不得无故中断技防
    # 系统正常运行"), the duty only, for an officer; back online, the outage is added to it.
    params = {"unit_id": device["unit_id"], "rule": "operation_interrupted"}
    (suspicion,) = (await client.get("/api/v1/findings", params=params, headers=tech)).json()["items"]
    assert (suspicion["status"], suspicion["articles"], suspicion["penalty"]) == (
        "suspected",
        ["HRB-2008 art. 20(5)"],
        None,
    )
    assert "heartbeats missed" in suspicion["detail"]
    r = await client.post("/api/v1/nvr/heartbeat", json={}, headers=nvr)
    assert r.json()["status"] == "online"
    (suspicion,) = (await client.get("/api/v1/findings", params=params, headers=tech)).json()["items"]
    assert suspicion["status"] == "suspected" and " min)" in suspicion["detail"]


async def test_heartbeat_before_registration_is_404(client: httpx.AsyncClient, token: TokenFactory) -> None:
    r = await client.post("/api/v1/nvr/heartbeat", json={}, headers=auth(token(Role.NVR)))
    assert r.status_code == 404
