"""Ingest's test setup: its schema in the test database, and the whole pipeline
(registry feed, poller, publisher) against the real broker and a real registry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.credentials import RegistryCredentials
from jifang.db import create_engine, create_sessionmaker
from jifang.follow import ConsumerMetrics
from jifang.kafka import create_producer
from jifang.migrate import upgrade_async
from jifang.mirror import FleetMirror
from jifang.policy import PolicyBook, load_policy_book
from jifang.publisher import BufferedPublisher, PublisherMetrics
from jifang.registry_client import RegistryClient
from jifang.topics import REGISTRY_TOPIC
from services.ingest import ALEMBIC_INI
from services.ingest.alarms import PullPointSettings
from services.ingest.feed import FleetShare, fleet_mirror
from services.ingest.poll import CallTimeouts
from services.ingest.poller import DevicePoller, PollerMetrics
from simulator.server import Fleet
from tests.services.registry.factories import create_device

FAST = CallTimeouts(
    clock=0.5, info=0.5, services=0.5, profiles=0.5, stream_uri=0.5, video_sources=0.5, ptz=0.5
)
# Subscriptions that live seconds, not minutes, so expiry, renewal and backoff show in a test.
FAST_PULL_POINT = PullPointSettings(
    keep_alive_s=6, wait_s=2, min_backoff_s=0.2, max_backoff_s=2.0, stable_after_s=4.0
)


@pytest.fixture(scope="session")
async def ingest_maker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade_async(ALEMBIC_INI, database_url)
    engine = create_engine(database_url, 4, "ingest-test")
    yield create_sessionmaker(engine)
    await engine.dispose()


def feed_for(
    maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
    group: str | None = None,
    metrics: CollectorRegistry | None = None,
    share: FleetShare | None = None,
) -> FleetMirror:
    """Ingest's mirror reading the registry topic from the start, in a consumer group of its own."""
    group = group or f"ingest-test-{uuid.uuid4().hex[:6]}"
    return fleet_mirror(
        maker,
        lambda: AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=2000,
        ),
        share or FleetShare(REGISTRY_TOPIC),
        ConsumerMetrics(metrics, "ingest", group) if metrics is not None else None,
    )


async def register_fleet(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: str, fleet: Fleet
) -> dict[str, str]:
    """Register every simulated device with the registry; simulator id -> registry id."""
    ids = {}
    for sim in fleet.devices.values():
        device = await create_device(
            client,
            headers,
            unit_id,
            name=sim.device_id,
            onvif_address=f"{sim.base_url}/onvif/device_service",
            username=sim.username,
            password=sim.password,
        )
        ids[sim.device_id] = device["id"]
    return ids


async def tail_topics(bootstrap: str, topics: list[str]) -> AIOKafkaConsumer:
    """A consumer positioned at the current end of the topics: it sees what comes next."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or []]
    if not tps:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or []]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


@dataclass
class Pipeline:
    publisher: BufferedPublisher
    feed: FleetMirror
    poller: DevicePoller
    metrics: CollectorRegistry
    registry: RegistryClient

    async def start(self) -> None:
        for loop in (self.publisher, self.feed, self.poller):
            await loop.start()

    async def stop(self) -> None:
        for loop in (self.poller, self.feed, self.publisher):
            await loop.stop()
        await self.registry.aclose()


def pipeline(
    maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
    registry_url: str,
    service_token: str,
    request_timeout_ms: int = 15_000,
    group: str | None = None,
    book: PolicyBook | None = None,
) -> Pipeline:
    """Ingest as its app wires it, polling every second with short call timeouts (and the
    policy packs as shipped, unless ``book`` says otherwise)."""
    metrics = CollectorRegistry()
    share = FleetShare(REGISTRY_TOPIC)
    feed = feed_for(maker, bootstrap, group, metrics, share)
    registry = RegistryClient(registry_url, service_token)
    publisher = BufferedPublisher(
        lambda: create_producer(bootstrap, enable_idempotence=False, request_timeout_ms=request_timeout_ms),
        PublisherMetrics(metrics, "ingest"),
        batch_size=20,
    )
    publisher.max_backoff_s = 2.0
    poller = DevicePoller(
        sessionmaker=maker,
        book=book or load_policy_book(),
        credentials=RegistryCredentials(registry),
        publisher=publisher,
        metrics=PollerMetrics(metrics),
        interval_s=1.0,
        concurrency=10,
        timeouts=FAST,
        reload_every_s=0.5,
        pull_point=FAST_PULL_POINT,
        share=share,
    )
    return Pipeline(publisher, feed, poller, metrics, registry)
