"""The gateway service: the police call-up API, the relay's authentication hook, the police's
use register and each unit's register of the uses of its footage, with /healthz, /readyz and
/metrics."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.auth import TOKEN_VERIFIER
from jifang.db import create_engine, create_sessionmaker
from jifang.http import DATABASE_ENGINE, create_service_app, database_and_broker
from jifang.logging import configure_logging
from jifang.policy import load_policy_book
from jifang.ratelimit import Limit, OpenLimit
from jifang.runner import running
from services.gateway.callups import CallUpMetrics, CallUps
from services.gateway.cameras import RegistryCameras
from services.gateway.changes import RegistryChanges
from services.gateway.deps import ALARM_STREAMS, CALLUPS, GATEWAY_STATE, PROXIED, RELAY_REFUSALS, GatewayState
from services.gateway.endpoints import router
from services.gateway.grants import GrantSigner
from services.gateway.proxy import ServiceProxy
from services.gateway.relay import ExpiredReaders, RelayHook, RelayMetrics
from services.gateway.settings import GatewaySettings
from services.gateway.unit_uses import UnitUses
from services.gateway.writer import RegisterWriter, WriterMetrics

VERSION = "0.1.0"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    metrics_registry = CollectorRegistry()
    callup_metrics = CallUpMetrics(metrics_registry)
    writer_metrics = WriterMetrics(metrics_registry)
    rate_limits = settings.rate_limits(
        metrics_registry,
        **{
            PROXIED: Limit(settings.rate_limit_per_s * 60, settings.rate_limit_burst),
            CALLUPS: Limit(settings.callups_per_minute, settings.callups_burst),
            RELAY_REFUSALS: Limit(settings.relay_refusals_per_minute, settings.relay_refusals_burst),
        },
    )
    relay_metrics = RelayMetrics(metrics_registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("gateway", settings.log_level, settings.log_format)
        if settings.grant_key is None or len(settings.grant_key.get_secret_value()) < 32:
            raise RuntimeError("GATEWAY_GRANT_KEY must hold a secret of at least 32 characters")
        previous_key = settings.grant_previous_key
        if previous_key is not None and len(previous_key.get_secret_value()) < 32:
            raise RuntimeError("GATEWAY_GRANT_PREVIOUS_KEY, when set, must hold at least 32 characters")
        # The registers hold names, purposes and destinations: never in an error's text or a log.
        engine = create_engine(
            settings.database_url,
            settings.db_pool_size,
            "gateway",
            role=settings.database_role,
            hide_parameters=True,
        )
        DATABASE_ENGINE.set(app, engine)
        TOKEN_VERIFIER.set(app, settings.token_verifier())
        registry = settings.registry_client(timeout_s=3.0)
        cameras = RegistryCameras(registry, settings.camera_cache_s)
        # What the recorder holds bounds a playback (ruling 4), as retention last read it.
        footage = settings.retention_client()
        signer = GrantSigner(
            settings.grant_key.get_secret_value().encode(),
            settings.grant_lifetime_s,
            settings.relay_url,
            previous_key.get_secret_value().encode() if previous_key is not None else None,
        )
        # Each batch of records one INSERT in autocommit: the register's lock is held for that
        # statement and its commit only.
        # Its own two connections, without a ping before each batch (a round trip the call-up
        # waits for; a batch on a dead connection fails, its call-ups get 503 and no grant, and
        # the connection is replaced).
        register_engine = create_engine(
            settings.database_url,
            2,
            "gateway-register",
            role=settings.database_role,
            pre_ping=False,
            hide_parameters=True,
        )
        writer = RegisterWriter(
            create_sessionmaker(register_engine.execution_options(isolation_level="AUTOCOMMIT")),
            settings.register_max_batch,
            writer_metrics,
        )
        proxy = ServiceProxy(
            {"registry": settings.registry_url, "retention": settings.retention_url},
            settings.upstream_timeout_s,
        )
        sessions = create_sessionmaker(engine)
        GATEWAY_STATE.set(
            app,
            GatewayState(
                settings=settings,
                sessions=sessions,
                callups=CallUps(
                    cameras,
                    signer,
                    load_policy_book(),
                    writer,
                    callup_metrics,
                    footage=footage,
                    playback_max=dt.timedelta(hours=settings.playback_max_hours),
                ),
                relay=RelayHook(signer, settings.grant_max_readers, relay_metrics),
                proxy=proxy,
                limits=rate_limits,
                alarm_streams=OpenLimit(rate_limits, ALARM_STREAMS, settings.alarm_streams_per_caller),
                unit_uses=UnitUses(cameras, registry),
            ),
        )
        # Each replica reads every change (a group of its own), from its start on.
        group = f"gateway-changes-{uuid.uuid4().hex[:12]}"
        changes = RegistryChanges(
            cameras,
            lambda: settings.kafka_group_consumer(group, from_start=False),
            metrics_registry,
        )
        try:
            # The start-up objects frozen out of the cyclic collector (its full passes over them
            # stopped the event loop 40-190 ms: the call-up's tail).
            async with running([changes, ExpiredReaders(sessions)]):
                yield
        finally:
            await writer.close()
            await register_engine.dispose()
            await proxy.close()
            await footage.aclose()
            await registry.aclose()
            await engine.dispose()

    app = create_service_app(
        title="Jifang gateway",
        version=VERSION,
        description=(
            "Police call-up of live video and playback (HRB art. 9, KMG art. 13): every use registered "
            "in an append-only, hash-chained register before any image is handed out; each unit's own "
            "register of the uses of its footage (HRB art. 20(3), KMG art. 21(2)) in the same form."
        ),
        lifespan=lifespan,
        registry=metrics_registry,
        rate_limits=rate_limits,
        readiness_checks=database_and_broker(settings.kafka_bootstrap_servers),
        max_body_bytes=settings.max_body_bytes,
        # Filing materials and CSV imports pass through to the registry.
        body_limit_overrides={
            "/api/registry/filings/": 11 * 1024 * 1024,
            "/api/registry/imports/": 64 * 1024 * 1024,
        },
    )
    app.include_router(router)
    return app
