"""Units can be closed (注销): the history stays, read-only; the platform stops watching and
judging the unit; its code may be registered again (a unit created by mistake)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from jifang.auth import Role
from jifang.registry_client import RegistryClient
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit


async def _bank(client: httpx.AsyncClient, tech: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Harbin bank without its intrusion alarm and access control (an open HRB art. 7(4) finding)."""
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places",
        json={"name": "营业大厅", "category": "hrb-7-4", "location_type": "lobby"},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    camera = await create_device(
        client, tech, unit["id"], onvif_address="http://127.0.0.1:9/onvif/device_service"
    )
    return unit, camera


async def _findings(client: httpx.AsyncClient, tech: dict[str, str], unit_id: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/findings", params={"unit_id": unit_id, "limit": 500}, headers=tech)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_closed_unit_keeps_its_history_read_only(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit, camera = await _bank(client, tech)
    before = await _findings(client, tech, unit["id"])
    assert [f["status"] for f in before if f["rule"] == "mandated_system_missing"]

    r = await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "录入错误"}, headers=tech)
    assert r.status_code == 200, r.text
    closed = r.json()
    assert (closed["status"], closed["closed_reason"]) == ("closed", "录入错误")
    assert closed["closed_on"] == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()

    # The history is there to read: the unit, its device, its findings as they stood.
    assert (await client.get(f"/api/v1/units/{unit['id']}", headers=tech)).json()["status"] == "closed"
    assert (await client.get(f"/api/v1/devices/{camera['id']}", headers=tech)).status_code == 200
    # Its findings are neither rectified nor re-judged: the office decides their end.
    await client.post("/api/v1/findings/recompute", headers=tech)
    after = await _findings(client, tech, unit["id"])
    assert [(f["id"], f["status"]) for f in after] == [(f["id"], f["status"]) for f in before]

    # Nothing of it changes any more.
    for method, path, body in (
        ("POST", f"/api/v1/units/{unit['id']}/places", {"name": "金库", "category": "hrb-7-4"}),
        ("PATCH", f"/api/v1/units/{unit['id']}", {"name": "新名"}),
        (
            "POST",
            f"/api/v1/units/{unit['id']}/devices",
            {"kind": "camera", "name": "x", "location_type": "entrance"},
        ),
        ("PATCH", f"/api/v1/devices/{camera['id']}", {"name": "新名"}),
        ("DELETE", f"/api/v1/devices/{camera['id']}", None),
        ("POST", f"/api/v1/units/{unit['id']}/close", {"reason": "again"}),
    ):
        r = await client.request(method, path, json=body, headers=tech)
        assert r.status_code == 409, (method, path, r.text)
        assert "closed" in r.json()["detail"]


async def test_lists_show_active_units_unless_asked(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    other = await create_unit(client, tech, district=unit["district"])
    await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "停业"}, headers=tech)

    async def listed(**params: str) -> set[str]:
        r = await client.get("/api/v1/units", params={"district": unit["district"], **params}, headers=tech)
        assert r.status_code == 200, r.text
        return {u["id"] for u in r.json()["items"]}

    assert await listed() == {other["id"]}
    assert await listed(status="closed") == {unit["id"]}
    assert await listed(status="all") == {unit["id"], other["id"]}


async def test_the_code_may_be_registered_again(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post("/api/v1/units", json={**_body(unit), "name": "重复"}, headers=tech)
    assert r.status_code == 409  # one active unit per code
    await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "录入错误"}, headers=tech)
    r = await client.post("/api/v1/units", json=_body(unit), headers=tech)
    assert r.status_code == 201, r.text
    assert r.json()["id"] != unit["id"] and r.json()["status"] == "active"


def _body(unit: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "name",
        "uscc",
        "address",
        "district",
        "is_business",
        "security_affiliation",
        "affiliation_district",
    )
    return {**{k: unit[k] for k in keys}, "jurisdiction": unit["jurisdiction"]}


async def test_who_may_close_and_when(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    own_admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    r = await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "x"}, headers=own_admin)
    assert r.status_code == 403  # the bureau closes a unit, not the unit itself
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/close", json={"reason": "x", "closed_on": tomorrow}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "closed_on"
    r = await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": ""}, headers=tech)
    assert r.status_code == 422
    r = await client.post(f"/api/v1/units/{uuid.uuid4()}/close", json={"reason": "x"}, headers=tech)
    assert r.status_code == 404


async def test_the_fleet_no_longer_holds_a_closed_unit(
    client: httpx.AsyncClient, registry_url: str, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit, camera = await _bank(client, tech)
    async with RegistryClient(registry_url, token(Role.SERVICE)) as registry:
        assert not (await registry.camera(uuid.UUID(camera["id"]))).unit_closed  # type: ignore[union-attr]
        await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "停业"}, headers=tech)
        fleet = [e async for page in registry.fleet() for e in page]
        view = await registry.camera(uuid.UUID(camera["id"]))
    assert str(unit["id"]) not in {str(e.unit_id) for e in fleet}
    assert view is not None and view.unit_closed
