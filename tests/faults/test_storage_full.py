"""Issue 14, faults: "The filing store full or unwritable: the upload fails with a clear 507/503
problem, nothing half-written is listed." Materials are kept in the registry's database, in
the upload's own transaction. The database answers as PostgreSQL does when its disk is full
(SQLSTATE 53100 disk_full) or when it cannot take writes (25006 read_only_sql_transaction, a
standby not yet promoted): a trigger of the test's own gives those answers on a database of
the test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from devtools.db import asyncpg_url
from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.registry.app import ALEMBIC_INI, create_app
from services.registry.settings import RegistrySettings
from tests import documents
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

FAULT = """
CREATE OR REPLACE FUNCTION registry.storage_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{message}' USING ERRCODE = '{code}';
END $$;
DROP TRIGGER IF EXISTS storage_fault ON registry.filing_material_blobs;
CREATE TRIGGER storage_fault BEFORE INSERT ON registry.filing_material_blobs
  FOR EACH ROW EXECUTE FUNCTION registry.storage_fault();
"""


@pytest.fixture
async def registry(
    scratch_database_url: str, registry_settings: RegistrySettings
) -> AsyncIterator[httpx.AsyncClient]:
    await upgrade_async(ALEMBIC_INI, scratch_database_url)
    app = create_app(
        registry_settings.model_copy(update={"database_url": scratch_database_url}), run_loops=False
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry") as client,
    ):
        yield client


async def _database(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_a_full_or_unwritable_store_keeps_nothing_half_written(
    registry: httpx.AsyncClient, scratch_database_url: str, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(registry, tech)
    r = await registry.post(
        f"/api/v1/units/{unit['id']}/systems", json={"name": "视频", "system_type": "video"}, headers=tech
    )
    r = await registry.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [r.json()["id"]]}, headers=tech
    )
    filing = r.json()
    url = f"/api/v1/filings/{filing['id']}/materials/filing_form"
    pdf, headers = documents.pdf("备案表"), {**tech, "Content-Type": "application/pdf"}

    await _database(
        scratch_database_url,
        FAULT.format(message="could not extend file: No space left on device", code="53100"),
    )
    r = await registry.put(url, content=pdf, headers=headers)
    assert r.status_code == 507, r.text
    problem = r.json()
    assert problem["type"] == "/problems/insufficient-storage" and "nothing was kept" in problem["detail"]
    assert r.headers["retry-after"]
    await _database(
        scratch_database_url,
        FAULT.format(message="cannot execute INSERT in a read-only transaction", code="25006"),
    )
    r = await registry.put(url, content=pdf, headers=headers)
    assert r.status_code == 503 and r.json()["type"] == "/problems/dependency-unavailable", r.text
    assert r.headers["retry-after"]
    # Nothing half-written: the filing lists no material, and no orphan row holds one.
    r = await registry.get(f"/api/v1/filings/{filing['id']}", headers=tech)
    assert r.json()["materials"] == []
    conn = await asyncpg.connect(asyncpg_url(scratch_database_url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM registry.filing_materials") == 0
        assert await conn.fetchval("SELECT count(*) FROM registry.filing_material_blobs") == 0
    finally:
        await conn.close()
    # Room again: the same upload goes through.
    await _database(scratch_database_url, "DROP TRIGGER storage_fault ON registry.filing_material_blobs")
    r = await registry.put(url, content=pdf, headers=headers)
    assert r.status_code == 200, r.text
    assert [m["code"] for m in r.json()["materials"]] == ["filing_form"]
