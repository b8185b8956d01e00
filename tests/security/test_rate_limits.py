"""Issue 14, weakness 14: "limit failed authentications per client address, enrollment-token
attempts, relay/media authorisation failures, call-ups per officer, and open alarm streams per
principal (429 with Retry-After, counted in /metrics, limits in settings)". Each limit is set
low here (the other suites set them off: every test client shares one address)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from devtools.broker import free_port
from jifang.auth import Role
from services.gateway.app import create_app as create_gateway
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.gateway.conftest import callup, gateway_settings, hook, migrated, serve  # noqa: F401
from tests.services.registry.factories import create_device, create_unit


@pytest.fixture
async def strict_registry(
    registry_settings: RegistrySettings, registry_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """Another registry on the session's (migrated) database, with low limits."""
    settings = registry_settings.model_copy(
        update={
            "auth_failures_per_minute": 6.0,
            "auth_failures_burst": 3.0,
            "enrollment_attempts_per_minute": 6.0,
            "enrollment_attempts_burst": 2.0,
        }
    )
    app = create_registry(settings, run_loops=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry") as c,
    ):
        yield c


def _limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["type"] == "/problems/too-many-requests" and int(r.headers["retry-after"]) >= 1


async def test_failed_authentications_are_limited_per_address(
    strict_registry: httpx.AsyncClient, token: TokenFactory
) -> None:
    forged = {"Authorization": "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA"}
    for _ in range(3):
        assert (await strict_registry.get("/api/v1/units", headers=forged)).status_code == 401
    _limited(await strict_registry.get("/api/v1/units", headers=forged))
    # Guessing is stopped for the address, whatever it sends next, until its rate allows again.
    _limited(await strict_registry.get("/api/v1/units", headers=auth(token(Role.TECH_OFFICE))))
    metrics = (await strict_registry.get("/metrics")).text
    assert (metric_value(metrics, "rate_limited_total", service="registry", limit="auth_failures") or 0) >= 2


async def test_refused_enrollment_tokens_are_limited(
    strict_registry: httpx.AsyncClient, token: TokenFactory
) -> None:
    nvr = auth(token(Role.NVR, subject=f"nvr-{uuid.uuid4().hex[:8]}"))
    body = {"name": "录像机", "serial_number": "SN-GUESS", "channels": []}
    for guess in ("guessed-token-0001", "guessed-token-0002"):
        r = await strict_registry.post(
            "/api/v1/nvr/register", json={**body, "enrollment_token": guess}, headers=nvr
        )
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "valid-enrollment-token", r.text
    _limited(
        await strict_registry.post(
            "/api/v1/nvr/register", json={**body, "enrollment_token": "guessed-token-0003"}, headers=nvr
        )
    )


@pytest.fixture
async def strict_gateway(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
) -> AsyncIterator[str]:
    settings = gateway_settings(
        migrated,
        bootstrap,
        registry_url,
        token,
        signing_keys,
        callups_per_minute=6.0,
        callups_burst=2.0,
        relay_refusals_per_minute=6.0,
        relay_refusals_burst=2.0,
        alarm_streams_per_caller=1,
    )
    app = create_gateway(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    server.force_exit = True  # an open event stream does not end by itself
    await task


async def test_call_ups_relay_refusals_and_alarm_streams_are_limited(
    strict_gateway: str, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    camera = await create_device(
        client, tech, unit["id"], onvif_address="http://192.0.2.30/onvif/device_service"
    )
    officer = auth(token(Role.POLICE_OPERATOR))
    async with httpx.AsyncClient(base_url=strict_gateway, timeout=10) as gw:
        # Call-ups per officer: a stolen token cannot sweep the city; another officer is not held.
        granted = [
            await gw.post("/api/v1/callups", json=callup(camera["id"]), headers=officer) for _ in range(2)
        ]
        assert [r.status_code for r in granted] == [201, 201]
        _limited(await gw.post("/api/v1/callups", json=callup(camera["id"]), headers=officer))
        other = auth(token(Role.POLICE_OPERATOR))
        assert (await gw.post("/api/v1/callups", json=callup(camera["id"]), headers=other)).status_code == 201
        # Refused reads per reader address: a reader guessing grants is stopped, another is not.
        path = f"cam/{camera['id']}"
        guesser = "10.9.9.9"
        for _ in range(2):
            r = await gw.post("/internal/relay/auth", json=hook("not-a-grant", path, ip=guesser))
            assert r.status_code == 401
        _limited(
            await gw.post("/internal/relay/auth", json=hook(granted[0].json()["token"], path, ip=guesser))
        )
        # The officer's own player, at the address the grant is bound to, is not held.
        assert (
            await gw.post("/internal/relay/auth", json=hook(granted[0].json()["token"], path))
        ).status_code == 200
        # Alarm streams open at once per caller: one here; the second waits for the first to close.
        async with gw.stream("GET", "/api/v1/alarms/stream", headers=officer) as first:
            assert first.status_code == 200
            _limited(await gw.get("/api/v1/alarms/stream", headers=officer))
        for _ in range(50):  # the server sees the first stream closed at its next heartbeat or read
            async with gw.stream("GET", "/api/v1/alarms/stream", headers=officer) as again:
                if again.status_code == 200:
                    break
            await asyncio.sleep(0.2)
        assert again.status_code == 200
        metrics = (await gw.get("/metrics")).text
    for limit in ("callups", "relay_refusals", "alarm_streams"):
        assert (metric_value(metrics, "rate_limited_total", service="gateway", limit=limit) or 0) >= 1, limit
