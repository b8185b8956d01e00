"""Test fixtures: a real PostgreSQL database per run (schema built by the migrations) and a
real Kafka-compatible broker, both on this machine."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from jifang.auth import Role, generate_signing_key, issue_token
from jifang.devbroker import LocalBroker, free_port
from jifang.devdb import admin_execute
from jifang.kafka import ensure_topics
from jifang.topics import catalogue
from simulator.schemas import onvif_schema

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
        police = any(r in (Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR) for r in roles)
        return issue_token(
            private_pem,
            subject=subject or f"test-{uuid.uuid4().hex[:8]}",
            roles=list(roles),
            audience=AUDIENCE,
            issuer=ISSUER,
            badge_number=claims.pop("badge_number", "HRB-000123" if police else None),
            bureau=claims.pop("bureau", "哈尔滨市公安局" if police else None),
            **claims,
        )

    return make


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("run")


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
