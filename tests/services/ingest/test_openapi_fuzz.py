"""Schemathesis over ingest's OpenAPI (its health operations) with every check, over real
HTTP, on scratch data: a database and a broker of their own and an empty registry, so that
its poller has nobody else's devices to poll and publishes on nobody else's topics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jifang.migrate import upgrade_async
from services.ingest import ALEMBIC_INI
from services.ingest.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, served_over_http
from tests.scratch import schemathesis_all_checks, scratch_broker, scratch_registry
from tests.services.ingest.test_app import settings_for


@pytest.fixture
async def ingest_url(
    scratch_database_url: str, registry_settings: RegistrySettings, token: TokenFactory, tmp_path: Path
) -> AsyncIterator[str]:
    async with (
        scratch_broker(tmp_path / "broker.log") as bootstrap,
        scratch_registry(registry_settings, scratch_database_url, bootstrap) as registry_url,
    ):
        await upgrade_async(ALEMBIC_INI, scratch_database_url)
        app = create_app(settings_for(scratch_database_url, bootstrap, registry_url, token, "ingest-fuzz"))
        async with app.router.lifespan_context(app), served_over_http(app) as url:
            yield url


@pytest.mark.slow
async def test_every_check_passes(ingest_url: str, tmp_path: Path) -> None:
    report = await schemathesis_all_checks(f"{ingest_url}/openapi.json", None, tmp_path, seed=20261124)
    assert report is None, report
