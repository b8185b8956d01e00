"""Filing materials are kept in the registry's database: every replica serves every upload, an
upload is part of its request's transaction, and the bytes are never logged."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from services.registry.app import create_app
from services.registry.models import FilingMaterialBlob
from services.registry.settings import RegistrySettings
from services.registry.storage import DatabaseMaterialStorage
from tests import documents
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit


def _pdf(marker: str = "") -> bytes:
    """A PDF of its own, with a marker to be looked for where it must not be (logs)."""
    return documents.pdf(marker or os.urandom(12).hex())


PNG = documents.image("PNG")


@pytest.fixture
async def second_replica(registry_settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    """Another registry instance on the same database, as a second pod would be (no loops: the
    session's instance runs them)."""
    app = create_app(registry_settings, run_loops=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry-2") as c:
            yield c


def _maker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


async def _draft_filing(client: httpx.AsyncClient, tech: dict[str, str]) -> dict[str, Any]:
    unit = await create_unit(client, tech)
    system = (
        await client.post(
            f"/api/v1/units/{unit['id']}/systems", json={"name": "v", "system_type": "video"}, headers=tech
        )
    ).json()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [system["id"]]}, headers=tech
    )
    assert r.status_code == 201, r.text
    filing: dict[str, Any] = r.json()
    return filing


async def _upload(
    client: httpx.AsyncClient, tech: dict[str, str], filing_id: str, code: str, data: bytes, media: str
) -> dict[str, Any]:
    r = await client.put(
        f"/api/v1/filings/{filing_id}/materials/{code}",
        content=data,
        params={"filename": f"{code}.bin"},
        headers={**tech, "Content-Type": media},
    )
    assert r.status_code == 200, r.text
    material: dict[str, Any] = r.json()["materials"][-1]  # the newest
    assert material["code"] == code
    return material


async def test_two_replicas_serve_each_others_uploads(
    client: httpx.AsyncClient,
    second_replica: httpx.AsyncClient,
    token: TokenFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    marker = os.urandom(12).hex()
    pdf = _pdf(marker)
    with caplog.at_level(logging.DEBUG):
        # Uploaded through one replica, downloaded through the other, both ways.
        form = await _upload(client, tech, filing["id"], "filing_form", pdf, "application/pdf")
        diagram = await _upload(second_replica, tech, filing["id"], "location_diagram", PNG, "image/png")
        for replica, material, data, media in (
            (second_replica, form, pdf, "application/pdf"),
            (client, diagram, PNG, "image/png"),
        ):
            r = await replica.get(f"/api/v1/filings/{filing['id']}/materials/{material['id']}", headers=tech)
            assert r.status_code == 200
            assert r.content == data and r.headers["content-type"] == media
            assert material["size_bytes"] == len(data)
    r = await second_replica.get(f"/api/v1/filings/{filing['id']}", headers=tech)
    assert [m["id"] for m in r.json()["materials"]] == [form["id"], diagram["id"]]
    assert marker not in caplog.text


async def test_a_new_upload_of_a_material_is_served_as_uploaded(
    client: httpx.AsyncClient, second_replica: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    first, second = _pdf(), _pdf()
    old = await _upload(client, tech, filing["id"], "filing_form", first, "application/pdf")
    new = await _upload(second_replica, tech, filing["id"], "filing_form", second, "application/pdf")
    assert new["id"] != old["id"] and new["sha256"] != old["sha256"]
    url = f"/api/v1/filings/{filing['id']}/materials"
    assert (await client.get(f"{url}/{new['id']}", headers=tech)).content == second
    assert (await second_replica.get(f"{url}/{old['id']}", headers=tech)).content == first


async def test_a_refused_upload_stores_nothing(
    registry_app: FastAPI, registry_settings: RegistrySettings, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    filing = await _draft_filing(client, tech)
    count = select(func.count()).select_from(FilingMaterialBlob)
    async with _maker(registry_app)() as session:
        before = await session.scalar(count)
    # One byte over the limit, within the body limit of the material route: refused by size.
    too_big = b"%PDF-" + b"0" * (registry_settings.max_material_bytes - 4)
    r = await client.put(
        f"/api/v1/filings/{filing['id']}/materials/filing_form",
        content=too_big,
        headers={**tech, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "max-size"
    async with _maker(registry_app)() as session:
        assert await session.scalar(count) == before


async def test_a_material_is_stored_in_the_callers_transaction(registry_app: FastAPI) -> None:
    maker = _maker(registry_app)
    pdf = _pdf()
    async with maker() as session:
        key, digest = await DatabaseMaterialStorage(session).put(pdf)
        assert await DatabaseMaterialStorage(session).get(key) == pdf
        await session.rollback()
    async with maker() as session:
        with pytest.raises(LookupError):
            await DatabaseMaterialStorage(session).get(key)
        kept, same_digest = await DatabaseMaterialStorage(session).put(pdf)
        await session.commit()
    assert kept != key and same_digest == digest
    async with maker() as session:
        assert await DatabaseMaterialStorage(session).get(kept) == pdf


async def test_a_failed_write_does_not_quote_the_material(registry_app: FastAPI) -> None:
    """SQLAlchemy puts a failed statement's parameters into its error, which gets logged."""
    maker = _maker(registry_app)
    marker = os.urandom(12).hex()
    pdf = _pdf(marker)
    async with maker() as holder, maker() as session:
        await holder.execute(text("LOCK TABLE registry.filing_material_blobs IN ACCESS EXCLUSIVE MODE"))
        await session.execute(text("SET LOCAL lock_timeout = '50ms'"))
        with pytest.raises(DBAPIError) as failed:
            await DatabaseMaterialStorage(session).put(pdf)
        await holder.rollback()
    assert "lock" in str(failed.value)  # the cause is told
    assert marker not in str(failed.value) and "PDF" not in str(failed.value)
