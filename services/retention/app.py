"""The retention service: registry feed, daily check, gauges, pruning and the outbox relay in
one process, with its API, /healthz, /readyz and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.credentials import RegistryCredentials
from jifang.db import create_engine, create_sessionmaker, session_scope
from jifang.follow import ConsumerMetrics
from jifang.http import create_service_app, database_and_broker
from jifang.logging import configure_logging
from jifang.outbox import OutboxMetrics, OutboxRelay
from jifang.policy import load_policy_book
from jifang.runner import LongRunningService, running
from services.retention.checks import RetentionChecker, RetentionMetrics
from services.retention.endpoints import internal_router, router
from services.retention.feed import fleet_mirror
from services.retention.loops import DailyCheck, Rejudgement, ResultPruning, RetentionGauges
from services.retention.models import OutboxEvent
from services.retention.reading import ReadLimits
from services.retention.rules import RuleRepository, longest_requirement_days, rule_rows
from services.retention.service import RetentionService
from services.retention.settings import RetentionSettings

VERSION = "0.1.0"


def create_app(settings: RetentionSettings | None = None) -> FastAPI:
    settings = settings or RetentionSettings()
    metrics_registry = CollectorRegistry()
    metrics = RetentionMetrics(metrics_registry)
    outbox_metrics = OutboxMetrics(metrics_registry, "retention")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("retention", settings.log_level, settings.log_format)
        engine = create_engine(settings.database_url, settings.db_pool_size, "retention")
        maker = create_sessionmaker(engine)
        book = load_policy_book()  # validated at start-up: a bad pack stops here
        async with session_scope(maker) as session:
            await RuleRepository(session).replace(*rule_rows(book))
        app.state.engine = engine
        app.state.sessionmaker = maker
        app.state.token_verifier = settings.token_verifier()
        registry = settings.registry_client()
        credentials = RegistryCredentials(registry)
        checker = RetentionChecker(
            credentials,
            metrics,
            book,
            # One day more than the longest requirement: a gap at the window's edge is seen whole.
            window=timedelta(days=longest_requirement_days(book) + 1),
            limits=ReadLimits(
                deadline_s=settings.recorder_deadline_s,
                call_timeout_s=settings.call_timeout_s,
                search_deadline_s=settings.recorder_deadline_s / 2,
            ),
            concurrency=settings.check_concurrency,
        )
        app.state.retention_service = RetentionService(checker, settings.check_interval_s, registry)
        mirror = fleet_mirror(
            maker,
            lambda: settings.kafka_group_consumer(settings.consumer_group),
            ConsumerMetrics(metrics_registry, "retention", settings.consumer_group),
        )
        await mirror.sync_or_warn(registry)
        loops: list[LongRunningService] = [
            OutboxRelay(
                sessionmaker=maker,
                model=OutboxEvent,
                producer_factory=lambda: settings.kafka_producer("retention-outbox"),
                metrics=outbox_metrics,
                poll_interval_s=settings.outbox_poll_interval_s,
            ),
            mirror,
            ResultPruning(maker, settings.results_keep_days),
            Rejudgement(maker),
            RetentionGauges(maker, metrics, settings.metrics_refresh_s),
        ]
        if settings.checks_enabled:
            loops.append(
                DailyCheck(
                    maker,
                    checker,
                    interval_s=settings.check_interval_s,
                    first_spread_s=settings.first_check_spread_s,
                )
            )
        app.state.loops = loops
        try:
            async with running(loops):
                yield
        finally:
            await credentials.close()
            await registry.aclose()
            await engine.dispose()

    app = create_service_app(
        title="Jifang retention",
        version=VERSION,
        description=(
            "Checks from each recorder's own ONVIF Profile G index that every unit keeps its footage "
            "for the days its policy pack requires; every finding cites its articles."
        ),
        lifespan=lifespan,
        registry=metrics_registry,
        rate_limits=settings.rate_limits(metrics_registry),
        readiness_checks=database_and_broker(settings.kafka_bootstrap_servers),
        max_body_bytes=settings.max_body_bytes,
    )
    app.include_router(router)
    app.include_router(internal_router, include_in_schema=False)
    return app
