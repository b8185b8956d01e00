"""The registry service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from jifang.db import create_engine, create_sessionmaker
from jifang.follow import ConsumerMetrics
from jifang.http import create_service_app, database_and_broker
from jifang.logging import configure_logging
from jifang.openapi import install_problem_documentation
from jifang.outbox import OutboxMetrics, OutboxRelay
from jifang.policy import load_policy_book
from jifang.ratelimit import Limit
from jifang.runner import running
from services.registry.devices.endpoints import router as devices_router
from services.registry.filings.endpoints import router as filings_router
from services.registry.findings.device_states import DeviceStates
from services.registry.findings.endpoints import router as findings_router
from services.registry.findings.retention import RetentionResults
from services.registry.firms.endpoints import router as firms_router
from services.registry.fleet.endpoints import router as fleet_router
from services.registry.imports.endpoints import router as imports_router
from services.registry.inspections.endpoints import router as inspections_router
from services.registry.loops import FindingsSweep, HeartbeatWatchdog, RegistryGauges
from services.registry.maintenance.endpoints import router as maintenance_router
from services.registry.management_rules.endpoints import router as management_rules_router
from services.registry.models import OutboxEvent
from services.registry.nvr.endpoints import router as nvr_router
from services.registry.nvr.service import ENROLLMENT_ATTEMPTS
from services.registry.places.endpoints import router as places_router
from services.registry.policy.endpoints import router as policy_router
from services.registry.settings import RegistrySettings
from services.registry.storage import DocumentCheck
from services.registry.systems.endpoints import router as systems_router
from services.registry.units.endpoints import router as units_router

VERSION = "0.1.0"
ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"


# The public document's tags, one per resource, in the order a unit meets them.
OPENAPI_TAGS = [
    {
        "name": "units",
        "description": "Units that must install technical prevention systems (HRB art. 7-8, KMG art. 6)",
    },
    {
        "name": "places",
        "description": "Their places, residential buildings and vehicles, by mandated category",
    },
    {"name": "systems", "description": "Their technical prevention systems (HRB art. 3, KMG art. 3)"},
    {"name": "devices", "description": "Cameras and recorders (NVRs)"},
    {
        "name": "maintenance windows",
        "description": "Planned work a unit declares beforehand: outages in it are not interruptions "
        "without cause (HRB art. 20(5), KMG art. 19)",
    },
    {
        "name": "filings",
        "description": "Filing (备案) with the public security bureau (HRB art. 14-18, KMG art. 16)",
    },
    {
        "name": "management rules",
        "description": "A unit's management rules kept on file (HRB art. 20(1)-(3), KMG art. 20, 21)",
    },
    {"name": "findings", "description": "What the law requires and a unit lacks, each citing its articles"},
    {
        "name": "inspections",
        "description": "The periodic check (HRB art. 24: every calendar year; KMG: no interval)",
    },
    {"name": "rectification notices", "description": "限期整改通知书 and their re-checks (HRB art. 25)"},
    {"name": "nvr enrollment", "description": "Recorders registering themselves and their channels"},
    {"name": "imports", "description": "Units, places and devices in bulk, from CSV"},
    {"name": "policy", "description": "The policy packs: each jurisdiction's rules with their articles"},
    {"name": "health", "description": "Liveness, readiness and metrics"},
]


def api_router() -> APIRouter:
    """The public API: every route in the OpenAPI document."""
    api = APIRouter(prefix="/api/v1")
    for r in (
        units_router,
        places_router,
        systems_router,
        devices_router,
        maintenance_router,
        findings_router,
        filings_router,
        management_rules_router,
        firms_router,
        inspections_router,
        nvr_router,
        imports_router,
        policy_router,
    ):
        api.include_router(r)
    return api


def internal_router() -> APIRouter:
    """What other services read with their service token (``/api/v1/internal/...``)."""
    internal = APIRouter(prefix="/api/v1")
    internal.include_router(fleet_router)
    return internal


def internal_openapi() -> dict[str, Any]:
    """The internal routes' own OpenAPI document: never published (the public one leaves them
    out), built for the tests that fuzz them."""
    app = FastAPI(title="Jifang registry (internal)", version=VERSION)
    install_problem_documentation(app)
    app.include_router(internal_router())
    return app.openapi()


def create_app(settings: RegistrySettings | None = None, *, run_loops: bool = True) -> FastAPI:
    settings = settings or RegistrySettings()
    metrics_registry = CollectorRegistry()
    outbox_metrics = OutboxMetrics(metrics_registry, "registry")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("registry", settings.log_level, settings.log_format)
        engine = create_engine(settings.database_url, settings.db_pool_size, "registry")
        maker = create_sessionmaker(engine)
        app.state.settings = settings
        app.state.documents = DocumentCheck(settings.document_limits())
        app.state.engine = engine
        app.state.sessionmaker = maker
        app.state.policy_book = load_policy_book()  # validated at start-up: a bad pack stops here
        app.state.cipher = settings.credentials_cipher()
        app.state.token_verifier = settings.token_verifier()
        loops = []
        consumer_metrics = ConsumerMetrics(metrics_registry, "registry", settings.retention_results_group)
        if run_loops:
            loops = [
                OutboxRelay(
                    sessionmaker=maker,
                    model=OutboxEvent,
                    producer_factory=lambda: settings.kafka_producer("registry-outbox"),
                    metrics=outbox_metrics,
                    poll_interval_s=settings.outbox_poll_interval_s,
                ),
                HeartbeatWatchdog(maker, app.state.policy_book, settings.heartbeat_check_interval_s),
                RegistryGauges(maker, metrics_registry, settings.metrics_refresh_interval_s),
                FindingsSweep(maker, app.state.policy_book, settings.findings_sweep_interval_s),
                RetentionResults(
                    maker,
                    app.state.policy_book,
                    lambda: settings.kafka_group_consumer(settings.retention_results_group),
                    consumer_metrics,
                ),
                DeviceStates(
                    maker,
                    app.state.policy_book,
                    lambda: settings.kafka_group_consumer(settings.device_state_group),
                    consumer_metrics.for_group(settings.device_state_group),
                ),
            ]
        app.state.loops = loops
        try:
            async with running(loops):
                yield
        finally:
            await engine.dispose()

    app = create_service_app(
        title="Jifang registry",
        version=VERSION,
        description=(
            "Units, their mandated places and systems, cameras and NVRs, filing (备案), "
            "inspections and findings, each finding citing its article."
        ),
        lifespan=lifespan,
        registry=metrics_registry,
        rate_limits=settings.rate_limits(
            metrics_registry,
            **{
                ENROLLMENT_ATTEMPTS: Limit(
                    settings.enrollment_attempts_per_minute, settings.enrollment_attempts_burst
                )
            },
        ),
        readiness_checks=database_and_broker(settings.kafka_bootstrap_servers),
        max_body_bytes=settings.max_body_bytes,
        # Only document uploads and CSV imports take large bodies.
        body_limit_overrides={
            "/api/v1/filings/": settings.max_material_bytes + 1024,
            "/api/v1/units/*/management-rules/": settings.max_material_bytes + 1024,
            "/api/v1/imports/": settings.max_import_bytes,
        },
    )
    app.openapi_tags = OPENAPI_TAGS
    app.include_router(api_router())
    app.include_router(internal_router(), include_in_schema=False)
    return app
