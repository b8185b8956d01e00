"""The public entry: the registry's API through the gateway with the caller's own identity and
request id; 401 without a token; 503 with Retry-After when the service behind is down, 502
when its answer cannot be read; 429 with Retry-After past a principal's rate; nothing of the
services outside their API; 405 naming the methods forwarded."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from devtools.broker import free_port
from jifang.auth import Role
from services.gateway.app import create_app
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import gateway_settings, serve


async def test_forwarded_with_the_callers_identity(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    r = await gateway.get(
        f"/api/registry/devices/{camera['id']}", headers={**tech, "X-Request-ID": "trace-42"}
    )
    assert r.status_code == 200 and r.json()["id"] == camera["id"]
    assert r.headers["x-request-id"] == "trace-42"
    # The registry applies its own rules to the caller: another unit's admin gets its answer.
    other = auth(token(Role.UNIT_ADMIN, unit_id="00000000-0000-4000-8000-000000000002"))
    assert (await gateway.get(f"/api/registry/devices/{camera['id']}", headers=other)).status_code == 404
    assert (await gateway.get("/api/registry/units")).status_code == 401
    assert (await gateway.get("/api/nothing/here", headers=tech)).status_code == 404


async def test_down_and_rate_limited(
    migrated: str, bootstrap: str, token: TokenFactory, signing_keys: tuple[str, str], registry_url: str
) -> None:
    app = create_app(
        gateway_settings(
            migrated,
            bootstrap,
            registry_url,
            token,
            signing_keys,
            retention_url=f"http://127.0.0.1:{free_port()}",
            rate_limit_per_s=1.0,
            rate_limit_burst=3.0,
        )
    )
    async for gw in serve(app):
        tech = auth(token(Role.TECH_OFFICE))
        down = await gw.get("/api/retention/summary", headers=tech)
        assert down.status_code == 503 and down.headers["retry-after"]
        assert down.headers["content-type"] == "application/problem+json"
        statuses = [(await gw.get("/api/registry/units", headers=tech)).status_code for _ in range(4)]
        assert statuses[:2] == [200, 200] and statuses[-1] == 429
        limited = await gw.get("/api/registry/units", headers=tech)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # Another principal has its own budget.
        assert (await gw.get("/api/registry/units", headers=auth(token(Role.AUDITOR)))).status_code == 200


async def test_nothing_outside_the_services_api(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    # A dot segment would lead out of the registry's /api/v1 (to its metrics, its docs).
    for path in ("..%2F..%2Fmetrics", "..%2F..%2Fopenapi.json", "units%2F..%2F..%2F..%2Fhealthz"):
        r = await gateway.get(f"/api/registry/{path}", headers=tech)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", path
    # A path segment with a reserved character stays one segment of the registry's path.
    r = await gateway.get(f"/api/registry/devices/{camera['id']}%3Fx=1", headers=tech)
    assert r.status_code == 422  # not a device id: the registry saw the whole segment
    # Methods: those forwarded, each its own operation; any other is 405 naming them all.
    options = await gateway.request("OPTIONS", "/api/registry/units", headers=tech)
    assert options.status_code == 405
    assert set(options.headers["allow"].split(", ")) == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    wrong = await gateway.get("/api/v1/callups", headers=tech)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


async def test_an_unreadable_answer_is_a_bad_gateway(
    migrated: str, bootstrap: str, token: TokenFactory, signing_keys: tuple[str, str], registry_url: str
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.close()

    broken = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = broken.sockets[0].getsockname()[1]
    app = create_app(
        gateway_settings(
            migrated, bootstrap, registry_url, token, signing_keys, retention_url=f"http://127.0.0.1:{port}"
        )
    )
    try:
        async for gw in serve(app):
            r = await gw.get("/api/retention/summary", headers=auth(token(Role.TECH_OFFICE)))
            assert r.status_code == 502 and r.headers["content-type"] == "application/problem+json"
            assert r.json()["type"] == "/problems/bad-gateway"
    finally:
        broken.close()
        await broken.wait_closed()
