"""Issue 14 item 15: an enrollment token introduces one recorder once. After its first use it
has expired, for every device, the one that used it included; the recorder registers again
with its own credential (the subject of its `nvr` token, bound to its device at enrolment)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

REGISTER = "/api/v1/nvr/register"


def _registration(enrollment: str | None, *channels: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "NVR-营业厅",
        "serial_number": "SN-ENROL-1",
        "channels": [
            {"channel_no": i, "name": name, "location_type": "entrance"}
            for i, name in enumerate(channels or ("大门",), start=1)
        ],
    }
    if enrollment is not None:
        body["enrollment_token"] = enrollment
    return body


async def _token_of(client: httpx.AsyncClient, token: TokenFactory, **body: Any) -> tuple[str, str]:
    """(unit id, a fresh enrollment token of it)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(f"/api/v1/units/{unit['id']}/enrollment-tokens", json=body, headers=tech)
    assert r.status_code == 201, r.text
    return unit["id"], r.json()["token"]


def _recorder(token: TokenFactory) -> dict[str, str]:
    return auth(token(Role.NVR, subject=f"nvr-{uuid.uuid4().hex[:10]}"))


async def test_a_spent_token_is_refused_even_to_the_recorder_that_spent_it(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_id, enrollment = await _token_of(client, token)
    nvr = _recorder(token)
    first = await client.post(REGISTER, json=_registration(enrollment), headers=nvr)
    assert first.status_code == 200 and first.json()["unit_id"] == unit_id
    for who in (nvr, _recorder(token)):
        r = await client.post(REGISTER, json=_registration(enrollment, "大门", "金库"), headers=who)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "enrollment_token"
        assert r.json()["errors"][0]["rule"] == "single-use"
    # Nothing the replay declared was kept.
    tech = auth(token(Role.TECH_OFFICE))
    devices = (await client.get("/api/v1/devices", params={"unit_id": unit_id}, headers=tech)).json()
    assert devices["total"] == 2


async def test_a_recorder_registers_again_with_its_own_credential(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_id, enrollment = await _token_of(client, token)
    nvr = _recorder(token)
    first = (await client.post(REGISTER, json=_registration(enrollment), headers=nvr)).json()
    again = await client.post(REGISTER, json=_registration(None, "大门", "金库"), headers=nvr)
    assert again.status_code == 200, again.text
    assert again.json()["device_id"] == first["device_id"] and again.json()["unit_id"] == unit_id
    assert set(again.json()["channel_ids"]) == {"1", "2"}
    assert (await client.post("/api/v1/nvr/heartbeat", json={}, headers=nvr)).status_code == 200


async def test_without_a_token_an_unknown_recorder_is_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    r = await client.post(REGISTER, json=_registration(None), headers=_recorder(token))
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "enrollment_token",
        "rule": "enrollment-token-required",
        "message": "a recorder registering for the first time presents its enrollment token",
    }


async def test_a_recorder_cannot_move_itself_to_another_unit(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_a, enrollment_a = await _token_of(client, token)
    unit_b, enrollment_b = await _token_of(client, token)
    nvr = _recorder(token)
    assert (await client.post(REGISTER, json=_registration(enrollment_a), headers=nvr)).status_code == 200
    r = await client.post(REGISTER, json=_registration(enrollment_b), headers=nvr)
    assert r.status_code == 409
    # Refused, B's token is not spent: the recorder it was issued for can still use it.
    other = _recorder(token)
    r = await client.post(REGISTER, json=_registration(enrollment_b), headers=other)
    assert r.status_code == 200 and r.json()["unit_id"] == unit_b != unit_a
