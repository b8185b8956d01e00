"""Issue 14 item 7: credentials inside a device address were stored, returned and published.

Every address field refuses them (422 naming the field): a device created or changed, a device
row of a CSV import, an NVR and its channels registering. The stream URIs a camera reports are
published without them, in the userinfo or in the vendors' parameters. And what was stored
before the refusal is cleaned by migration 0018."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.onvif import OnvifClient
from jifang.v1 import ingest_pb2
from services.ingest.events import stream_metadata
from services.ingest.poll import CallTimeouts, poll_device
from services.registry.app import ALEMBIC_INI
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit, new_uscc

# Addresses as units' installers write them, each with a credential in another place.
WITH_CREDENTIALS = (
    "http://admin:Hik12345@10.20.1.31/onvif/device_service",  # userinfo
    "http://admin@10.20.1.31/onvif/device_service",  # a user name alone
    "http://10.20.1.31/onvif/device_service?username=admin&password=Hik12345",  # Hikvision
    "http://10.20.1.31/onvif/device_service?PWD=123456&usr=admin",  # CGI cameras, any case
    "http://10.20.1.31/user=admin&password=xm123&channel=1&stream=0.sdp",  # Xiongmai, in the path
)
SECRETS = ("Hik12345", "123456", "xm123")
FAST = CallTimeouts(clock=0.5, info=0.5, services=0.5, profiles=0.5, stream_uri=0.5, video_sources=0.5)


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [(field, "no-credentials-in-address")]
    assert not any(secret in r.text for secret in SECRETS)  # not echoed either


async def test_device_addresses_with_credentials_are_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    for address in WITH_CREDENTIALS:
        body = {"kind": "camera", "name": "入口", "location_type": "entrance", "onvif_address": address}
        r = await client.post(f"/api/v1/units/{unit['id']}/devices", json=body, headers=tech)
        _refused(r, "body.onvif_address")
    device = await create_device(
        client, tech, unit["id"], onvif_address="http://10.20.1.31/onvif/device_service", username="admin"
    )
    for address in WITH_CREDENTIALS:
        r = await client.patch(
            f"/api/v1/devices/{device['id']}", json={"onvif_address": address}, headers=tech
        )
        _refused(r, "body.onvif_address")
    r = await client.get(f"/api/v1/devices/{device['id']}", headers=tech)
    assert r.json()["onvif_address"] == "http://10.20.1.31/onvif/device_service"
    # The credentials have their own fields: encrypted at rest, never returned.
    r = await client.patch(f"/api/v1/devices/{device['id']}", json={"password": "Hik12345"}, headers=tech)
    assert r.status_code == 200 and r.json()["has_credentials"] is True and "Hik12345" not in r.text


async def test_imported_device_rows_with_credentials_are_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    uscc = new_uscc()
    unit = await create_unit(client, tech, uscc=uscc)
    rows = "".join(f'{uscc},camera,入口{i},entrance,"{a}"\n' for i, a in enumerate(WITH_CREDENTIALS))
    csv = "unit_uscc,kind,name,location_type,onvif_address\n" + rows
    r = await client.post(
        "/api/v1/imports/devices", content=csv.encode(), headers={**tech, "Content-Type": "text/csv"}
    )
    report = r.json()
    assert (report["imported"], report["failed"]) == (0, len(WITH_CREDENTIALS))
    assert {(e["field"], e["rule"]) for e in report["errors"]} == {
        ("onvif_address", "no-credentials-in-address")
    }
    assert not any(secret in r.text for secret in SECRETS)
    r = await client.get("/api/v1/devices", params={"unit_id": unit["id"]}, headers=tech)
    assert r.json()["total"] == 0


async def test_recorders_and_channels_with_credentials_are_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(f"/api/v1/units/{unit['id']}/enrollment-tokens", json={}, headers=tech)
    enrollment = r.json()["token"]
    nvr = auth(token(Role.NVR, subject=f"nvr-{uuid.uuid4().hex[:10]}"))
    body = {"enrollment_token": enrollment, "name": "NVR", "serial_number": "SN-ADDR-1", "channels": []}
    r = await client.post(
        "/api/v1/nvr/register", json={**body, "onvif_address": WITH_CREDENTIALS[0]}, headers=nvr
    )
    _refused(r, "body.onvif_address")
    channel = {
        "channel_no": 1,
        "name": "大门",
        "location_type": "entrance",
        "onvif_address": WITH_CREDENTIALS[2],
    }
    r = await client.post("/api/v1/nvr/register", json={**body, "channels": [channel]}, headers=nvr)
    _refused(r, "body.channels.0.onvif_address")
    # Refused before anything was spent: the token still registers the recorder.
    assert (await client.post("/api/v1/nvr/register", json=body, headers=nvr)).status_code == 200


@pytest.fixture
async def camera_with_credentials_in_its_stream_uris() -> AsyncIterator[Fleet]:
    """A camera that reports its stream URIs as a Dahua or Hikvision does: its credentials in
    the userinfo, and again as query parameters."""
    fleet = Fleet()
    uri = (
        "rtsp://{username}:{password}@127.0.0.1:{port}/cam/realmonitor?channel=1&subtype=0"
        "&profile={token}&User={username}&PassWord={password}"
    )
    await fleet.start([SimDevice("cam", password="Dahua888", stream_uri_format=uri)])
    yield fleet
    await fleet.stop()


async def test_published_stream_uris_carry_no_credentials(
    camera_with_credentials_in_its_stream_uris: Fleet,
) -> None:
    device = camera_with_credentials_in_its_stream_uris.devices["cam"]
    client = OnvifClient(f"{device.base_url}/onvif/device_service", "admin", "Dahua888")
    try:
        report = await poll_device(client, refresh_services=True, timeouts=FAST)
    finally:
        client.close()
    watched = SimpleNamespace(
        device_id=uuid.uuid4(), unit_id=uuid.uuid4(), district="南岗区", jurisdiction="harbin-2008"
    )
    published = stream_metadata(watched, report)
    assert published is not None
    event = ingest_pb2.StreamMetadata.FromString(published[1].value)
    uris = [p.stream_uri for p in event.profiles]
    assert uris == [
        f"rtsp://127.0.0.1:{device.port}/cam/realmonitor?channel=1&subtype=0&profile={p.token}"
        for p in event.profiles
    ]
    assert b"Dahua888" not in published[1].value and b"admin" not in published[1].value


def _migration_0018() -> ModuleType:
    path = Path(ALEMBIC_INI).parent / "migrations" / "versions" / "0018_safe_addresses_and_filenames.py"
    spec = importlib.util.spec_from_file_location("registry_migration_0018", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_addresses_stored_before_are_cleaned_by_the_migration(
    client: httpx.AsyncClient, registry_app: FastAPI, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    device = await create_device(
        client, tech, unit["id"], onvif_address="http://10.20.1.40/onvif/device_service"
    )
    maker: async_sessionmaker[AsyncSession] = registry_app.state.sessionmaker
    stored_before = "http://admin:Hik12345@10.20.1.40/onvif/device_service?password=Hik12345&x=1"
    async with maker() as session, session.begin():
        await session.execute(
            text("UPDATE registry.devices SET onvif_address = :a WHERE id = :id"),
            {"a": stored_before, "id": device["id"]},
        )
    migration = _migration_0018()
    async with maker() as session, session.begin():
        await (await session.connection()).run_sync(migration._clean_addresses)
    r = await client.get(f"/api/v1/devices/{device['id']}", headers=tech)
    assert r.json()["onvif_address"] == "http://10.20.1.40/onvif/device_service?x=1"
