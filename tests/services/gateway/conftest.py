"""The gateway's test setup: its schema built by its migrations (with its restricted role), the
app on the real registry, a registered camera, and the requests police and relay send."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.gateway import ALEMBIC_INI
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import AUDIENCE, ISSUER, TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit

GRANT_KEY = "k" * 48


def gateway_settings(
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    keys: tuple[str, str],
    **over: Any,
) -> GatewaySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": bootstrap,
        "registry_url": registry_url,
        "service_token": SecretStr(token(Role.SERVICE)),
        "grant_key": SecretStr(GRANT_KEY),
        "jwt_public_key": SecretStr(keys[1]),
        "jwt_public_key_file": None,
        "jwt_audience": AUDIENCE,
        "jwt_issuer": ISSUER,
    }
    return GatewaySettings(**{**values, **over})


@pytest.fixture(scope="module")
async def migrated(database_url: str) -> str:
    await upgrade_async(ALEMBIC_INI, database_url)
    return database_url


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c,
    ):
        yield c


@pytest.fixture
async def gateway(
    migrated: str, bootstrap: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(gateway_settings(migrated, bootstrap, registry_url, token, signing_keys))
    async for c in serve(app):
        yield c


@pytest.fixture
async def camera(client: httpx.AsyncClient, token: TokenFactory) -> dict[str, Any]:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    return await create_device(
        client, tech, unit["id"], onvif_address="http://192.0.2.10/onvif/device_service"
    )


def callup(camera_id: str, **over: Any) -> dict[str, Any]:
    return {
        "camera_id": camera_id,
        "purpose": "追查盗窃嫌疑人",
        "case_number": "A2301032026110001",
        "destination": "南岗分局刑侦大队 3号工作站",
        **over,
    }


# The address the tests' client calls the gateway from (httpx's ASGI transport): a grant is bound
# to it, and the relay sees a reader on the same machine there.
CLIENT_ADDRESS = "127.0.0.1"


def hook(token: str, path: str, action: str = "read", **over: Any) -> dict[str, Any]:
    """What MediaMTX posts to its authHTTPAddress for a reader: a new RTSP connection (its own
    session id) from the address the call-up came from."""
    return {
        "user": "",
        "password": token,
        "token": "",
        "ip": CLIENT_ADDRESS,
        "action": action,
        "path": path,
        "protocol": "rtsp",
        "id": str(uuid.uuid4()),
        "query": "",
        **over,
    }
