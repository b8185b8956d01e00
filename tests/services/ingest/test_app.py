"""The ingest service as a process sees it: starts its loops, answers health, readiness and
metrics, and refuses to start without its service token."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.ingest import ALEMBIC_INI
from services.ingest.app import create_app
from services.ingest.settings import IngestSettings
from tests.conftest import TokenFactory


def settings_for(
    database_url: str, bootstrap: str, registry_url: str, token: TokenFactory, consumer_group: str
) -> IngestSettings:
    """Ingest on this database, broker and registry, with a service token."""
    return IngestSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        registry_url=registry_url,
        service_token=SecretStr(token(Role.SERVICE)),
        consumer_group=consumer_group,
        jwt_public_key_file=None,
    )


async def test_health_readiness_metrics(
    database_url: str, bootstrap: str, registry_url: str, token: TokenFactory
) -> None:
    await upgrade_async(ALEMBIC_INI, database_url)
    app = create_app(settings_for(database_url, bootstrap, registry_url, token, "ingest-app-test"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://i") as c,
    ):
        assert (await c.get("/healthz")).status_code == 200
        ready = await c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "broker": "ok"}
        metrics = (await c.get("/metrics")).text
        for name in ("ingest_oldest_poll_lag_seconds", "ingest_poll_duration_seconds", "kafka_buffer_depth"):
            assert name in metrics


async def test_refuses_to_start_without_a_service_token(database_url: str, bootstrap: str) -> None:
    app = create_app(
        IngestSettings(database_url=database_url, kafka_bootstrap_servers=bootstrap, service_token=None)
    )
    with pytest.raises(RuntimeError, match="INGEST_SERVICE_TOKEN"):
        async with app.router.lifespan_context(app):
            pass
