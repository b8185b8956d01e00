"""Issue 14, weakness 5: "The gateway's 30 s camera cache granted a deleted camera and a camera
whose place had just become forbidden: follow the registry's events and drop a camera the
moment it changes." The gateway follows the registry's topic; a call-up right after the change
is refused, long before the cache's 30 s would have run out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jifang.auth import Role
from services.gateway.app import create_app
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.gateway.conftest import callup, gateway_settings, migrated, serve  # noqa: F401
from tests.services.registry.factories import create_device, create_unit


@pytest.fixture
async def following_gateway(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(migrated, bootstrap, registry_url, token, signing_keys, camera_cache_s=30.0)
    async for c in serve(create_app(settings)):
        yield c


async def _following(
    gateway: httpx.AsyncClient,
    client: httpx.AsyncClient,
    tech: dict[str, str],
    officer: dict[str, str],
    camera: dict[str, Any],
) -> None:
    """Until the gateway is seen following: a change of the cached camera drops it."""
    for n in range(60):
        assert (
            await gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=officer)
        ).status_code == 201
        await client.patch(
            f"/api/v1/devices/{camera['id']}", json={"position_description": f"立柱{n}"}, headers=tech
        )
        await asyncio.sleep(0.3)
        text = (await gateway.get("/metrics")).text
        if (metric_value(text, "gateway_cameras_dropped_total") or 0) >= 1:
            return
    raise AssertionError("the gateway never followed the registry's changes")


async def _refused_within(
    gateway: httpx.AsyncClient, officer: dict[str, str], camera_id: str
) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    while True:
        r = await gateway.post("/api/v1/callups", json=callup(camera_id), headers=officer)
        if r.status_code != 201 or time.monotonic() - started > 20:
            return time.monotonic() - started, r
        await asyncio.sleep(0.05)


async def test_a_deleted_camera_is_refused_at_once(
    following_gateway: httpx.AsyncClient, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    officer = auth(token(Role.POLICE_OPERATOR))
    unit = await create_unit(client, tech)
    camera = await create_device(
        client, tech, unit["id"], onvif_address="http://192.0.2.10/onvif/device_service"
    )
    await _following(following_gateway, client, tech, officer, camera)
    assert (
        await following_gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=officer)
    ).status_code == 201
    assert (await client.delete(f"/api/v1/devices/{camera['id']}", headers=tech)).status_code == 204
    took, r = await _refused_within(following_gateway, officer, camera["id"])
    assert r.status_code == 404, r.text
    assert took < 5, f"refused only after {took:.1f} s"  # the cache alone would grant for 30 s


async def test_a_camera_whose_place_became_forbidden_is_refused_at_once(
    following_gateway: httpx.AsyncClient, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 7 ends its list in 等: the tech office adds government organs' internal offices;
    the camera already there is refused from the next call-up on."""
    tech = auth(token(Role.TECH_OFFICE))
    officer = auth(token(Role.POLICE_OPERATOR, jurisdiction="kunming-2012"))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    camera = await create_device(
        client,
        tech,
        unit["id"],
        location_type="government_internal_office",
        onvif_address="http://192.0.2.11/onvif/device_service",
    )
    await _following(following_gateway, client, tech, officer, camera)
    assert (
        await following_gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=officer)
    ).status_code == 201
    url = "/api/v1/policy/kunming-2012/forbidden-places/government_internal_office"
    r = await client.put(url, json={"reason": "机关内部办公室涉及工作秘密"}, headers=tech)
    assert r.status_code == 200, r.text
    try:
        took, r = await _refused_within(following_gateway, officer, camera["id"])
        assert r.status_code == 422 and r.json()["article"] == "KMG-2012 art. 7", r.text
        assert took < 5, f"refused only after {took:.1f} s"
    finally:
        assert (await client.delete(url, headers=tech)).status_code == 204
