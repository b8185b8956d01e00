"""The public entry: the registry's API through the gateway with the caller's own identity and
request id; 401 without a token; 503 with Retry-After when the service behind is down; 429
with Retry-After past a principal's rate."""

from __future__ import annotations

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
