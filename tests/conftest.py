"""Test fixtures: a real PostgreSQL database per run (schema built by the migrations) and a
real Kafka-compatible broker, both on this machine."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families

from devtools.broker import LocalBroker, free_port
from devtools.db import admin_execute
from jifang.auth import Role, generate_signing_key, issue_token
from jifang.kafka import ensure_topics
from jifang.migrate import upgrade_async
from jifang.secrets import generate_key_b64
from jifang.topics import catalogue
from services.registry.app import ALEMBIC_INI, create_app
from services.registry.settings import RegistrySettings
from simulator.schemas import onvif_schema

# Every test client reaches the services from one address: the rate limits per address and per
# officer would stop the suites, not an attacker. tests/security/test_rate_limits.py sets its own.
for _limit in (
    "AUTH_FAILURES_PER_MINUTE",
    "REGISTRY_ENROLLMENT_ATTEMPTS_PER_MINUTE",
    "GATEWAY_CALLUPS_PER_MINUTE",
    "GATEWAY_RELAY_REFUSALS_PER_MINUTE",
):
    os.environ.setdefault(_limit, "0")

ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
AUDIENCE, ISSUER = "jifang", "jifang-test"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of its own for this run, dropped afterwards."""
    name = f"jifang_test_{uuid.uuid4().hex[:10]}"

    asyncio.run(admin_execute(ADMIN_DSN, f'CREATE DATABASE "{name}"'))
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin_execute(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def scratch_database_url() -> Iterator[str]:
    """A database of its own for one test (a fuzzer's data touches nobody else's), dropped
    afterwards; the test builds the schemas it needs with the migrations."""
    name = f"jifang_scratch_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(ADMIN_DSN, f'CREATE DATABASE "{name}"'))
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin_execute(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker | None]:
    """The real broker: the configured one, or a bundled Tansu on a free port."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield None
        return
    b = LocalBroker(free_port(), tmp_path_factory.mktemp("broker") / "tansu.log")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="session")
def bootstrap(broker: LocalBroker | None) -> str:
    servers = broker.bootstrap if broker else os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    asyncio.run(ensure_topics(servers, catalogue().values()))
    return servers


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    return generate_signing_key()


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def token(signing_keys: tuple[str, str]) -> TokenFactory:
    """token(Role.X, unit_id=..., subject=...) -> a signed bearer token."""
    private_pem, _ = signing_keys

    def make(*roles: Role, subject: str | None = None, **claims: Any) -> str:
        # Police of Harbin's city bureau (市局) unless told otherwise: it polices the whole city.
        police = any(r in (Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR) for r in roles)
        return issue_token(
            private_pem,
            subject=subject or f"test-{uuid.uuid4().hex[:8]}",
            roles=list(roles),
            audience=AUDIENCE,
            issuer=ISSUER,
            badge_number=claims.pop("badge_number", "HRB-000123" if police else None),
            bureau=claims.pop("bureau", "哈尔滨市公安局" if police else None),
            jurisdiction=claims.pop("jurisdiction", "harbin-2008" if police else None),
            **claims,
        )

    return make


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


@pytest.fixture(scope="session")
def schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    """The official ONVIF schemas (Device, Media, Media2, SOAP 1.2)."""
    return onvif_schema(str(tmp_path_factory.mktemp("onvif-schema")))


def assert_valid(schema: etree.XMLSchema, element: etree._Element) -> None:
    doc = etree.ElementTree(etree.fromstring(etree.tostring(element)))
    if not schema.validate(doc):
        raise AssertionError(f"{etree.QName(element).localname}: {schema.error_log}")


def metric_value(exposition: str, sample: str, **labels: str) -> float | None:
    """The value of one sample (``name_total``, ``name_bucket``...) with exactly these labels in
    a /metrics text, or None when the service does not export it."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == sample and s.labels == labels:
                return float(s.value)
    return None


async def eventually(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a condition a loop makes true in its own time (a gauge refreshed every second);
    the condition may be a coroutine function (a scrape)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        met = condition()
        if not isinstance(met, bool):
            met = await met
        if met:
            return
        assert asyncio.get_running_loop().time() < deadline, (
            f"{getattr(condition, '__name__', 'condition')} not met in {timeout} s"
        )
        await asyncio.sleep(0.1)


# The registry, which every other service and the deployment checks talk to.
@pytest.fixture(scope="session")
def registry_settings(database_url: str, bootstrap: str, signing_keys: tuple[str, str]) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=signing_keys[1],
        jwt_public_key_file=None,
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        credentials_key=generate_key_b64(),
        credentials_key_file=None,
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


@asynccontextmanager
async def served_over_http(app: FastAPI) -> AsyncIterator[str]:
    """An app whose lifespan already runs, served over real HTTP on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def registry_url(registry_app: FastAPI) -> AsyncIterator[str]:
    """The registry served over real HTTP on a free port (for the CLI and schemathesis)."""
    async with served_over_http(registry_app) as url:
        yield url
