"""The ingest service: registry feed, device poller and publisher in one process, with
/healthz, /readyz and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.credentials import RegistryCredentials
from jifang.db import create_engine, create_sessionmaker
from jifang.follow import ConsumerMetrics
from jifang.http import create_service_app, database_and_broker
from jifang.logging import configure_logging
from jifang.policy import load_policy_book
from jifang.publisher import BufferedPublisher, PublisherMetrics
from jifang.runner import running
from jifang.topics import REGISTRY_TOPIC
from services.ingest.alarms import PullPointSettings
from services.ingest.feed import FleetShare, fleet_mirror
from services.ingest.poller import DevicePoller, PollerMetrics
from services.ingest.settings import IngestSettings

VERSION = "0.1.0"


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    metrics_registry = CollectorRegistry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("ingest", settings.log_level, settings.log_format)
        engine = create_engine(settings.database_url, settings.db_pool_size, "ingest")
        maker = create_sessionmaker(engine)
        app.state.engine = engine
        publisher = BufferedPublisher(
            lambda: settings.kafka_producer("ingest"),
            PublisherMetrics(metrics_registry, "ingest"),
            capacity=settings.buffer_capacity,
        )
        registry = settings.registry_client()
        share = FleetShare(REGISTRY_TOPIC)
        mirror = fleet_mirror(
            maker,
            lambda: settings.kafka_group_consumer(
                settings.consumer_group,
                session_timeout_ms=settings.session_timeout_ms,
                heartbeat_interval_ms=settings.session_timeout_ms // 3,
            ),
            share,
            ConsumerMetrics(metrics_registry, "ingest", settings.consumer_group),
        )
        poller = DevicePoller(
            sessionmaker=maker,
            book=load_policy_book(),
            credentials=RegistryCredentials(registry),
            publisher=publisher,
            metrics=PollerMetrics(metrics_registry),
            interval_s=settings.poll_interval_s,
            concurrency=settings.poll_concurrency,
            pull_point=PullPointSettings(settings.event_keep_alive_s, settings.event_wait_s)
            if settings.events_enabled
            else None,
            share=share,
        )
        # The registry is the source of truth: start from it, then follow its events.
        await mirror.sync_or_warn(registry)
        try:
            async with running([publisher, mirror, poller]):
                yield
        finally:
            await registry.aclose()
            await engine.dispose()

    return create_service_app(
        title="Jifang ingest",
        version=VERSION,
        description="Polls ONVIF devices for health and stream metadata and publishes it to Kafka.",
        lifespan=lifespan,
        registry=metrics_registry,
        rate_limits=settings.rate_limits(metrics_registry),
        readiness_checks=database_and_broker(settings.kafka_bootstrap_servers),
        max_body_bytes=settings.max_body_bytes,
    )
