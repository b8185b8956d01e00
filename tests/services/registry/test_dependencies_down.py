"""A dependency that is down gives 503 with Retry-After, never a silent drop or a bare 500."""

from __future__ import annotations

import httpx

from devtools.broker import free_port
from jifang.auth import Role
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, auth


async def test_database_down_gives_503_and_a_retry(
    registry_settings: RegistrySettings, token: TokenFactory
) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    settings = registry_settings.model_copy(
        update={"database_url": dead, "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}"}
    )
    app = create_app(settings, run_loops=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            r = await client.get("/api/v1/units", headers=auth(token(Role.TECH_OFFICE)))
            assert r.status_code == 503
            assert r.headers["retry-after"] == "5"
            assert r.headers["content-type"] == "application/problem+json"
            r = await client.post("/api/v1/units", json={"name": "x"}, headers=auth(token(Role.TECH_OFFICE)))
            assert r.status_code == 422  # bad input is still answered as such
            r = await client.get("/readyz")
            assert r.status_code == 503
            assert set(r.json()["checks"]) == {"database", "broker"}
            assert all(v.startswith("unreachable") for v in r.json()["checks"].values())
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
