from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from jifang.devbroker import free_port
from jifang.migrate import upgrade_async
from jifang.secrets import generate_key_b64
from services.registry.app import ALEMBIC_INI, create_app
from services.registry.settings import RegistrySettings
from tests.conftest import AUDIENCE, ISSUER


@pytest.fixture(scope="session")
def registry_settings(
    database_url: str, bootstrap: str, signing_keys: tuple[str, str], run_dir: Path
) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=signing_keys[1],
        jwt_public_key_file=None,
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        credentials_key=generate_key_b64(),
        credentials_key_file=None,
        storage_dir=str(run_dir / "registry-files"),
        outbox_poll_interval_s=0.05,
        heartbeat_check_interval_s=0.2,
        metrics_refresh_interval_s=0.2,
        max_material_bytes=256 * 1024,
    )


@pytest.fixture(scope="session")
async def registry_app(registry_settings: RegistrySettings) -> AsyncIterator[FastAPI]:
    await upgrade_async(ALEMBIC_INI, registry_settings.database_url)
    app = create_app(registry_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def client(registry_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=registry_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as c:
        yield c


@pytest.fixture(scope="session")
async def registry_url(registry_app: FastAPI) -> AsyncIterator[str]:
    """The registry served over real HTTP on a free port (for the CLI and schemathesis)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(registry_app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
