"""The broker stops for 30 s while ingest polls: every poll's health sample arrives once it is
back (none lost, duplicates only by event id, which consumers drop)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.auth import Role
from jifang.db import create_engine, create_sessionmaker
from jifang.devbroker import LocalBroker
from jifang.kafka import create_producer
from jifang.migrate import upgrade_async
from jifang.policy import load_policy_book
from jifang.publisher import BufferedPublisher, PublisherMetrics
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import ingest_pb2
from services.ingest import ALEMBIC_INI
from services.ingest.credentials import RegistryCredentials
from services.ingest.events import HEALTH_TOPIC
from services.ingest.feed import RegistryFeed
from services.ingest.poll import CallTimeouts
from services.ingest.poller import DevicePoller, PollerMetrics
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.ingest.test_poller import _tail
from tests.services.registry.factories import create_unit

FAST = CallTimeouts(clock=0.5, info=0.5, services=0.5, profiles=0.5, stream_uri=0.5, video_sources=0.5)


@pytest.mark.slow
async def test_a_30_second_broker_outage_loses_no_sample(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    database_url: str,
    bootstrap: str,
    broker: LocalBroker | None,
) -> None:
    if broker is None:
        pytest.skip("needs the bundled broker, which the test can pause")
    await upgrade_async(ALEMBIC_INI, database_url)
    fleet = Fleet()
    await fleet.start(SimDevice(f"out-{i}", password="pw") for i in range(3))
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ours: set[str] = set()
    for sim in fleet.devices.values():
        r = await client.post(
            f"/api/v1/units/{unit['id']}/devices",
            json={
                "kind": "camera",
                "name": sim.device_id,
                "location_type": "entrance",
                "onvif_address": f"{sim.base_url}/onvif/device_service",
                "username": "admin",
                "password": "pw",
            },
            headers=tech,
        )
        ours.add(r.json()["id"])
    engine = create_engine(database_url, 4, "ingest-outage-test")
    maker = create_sessionmaker(engine)
    registry = CollectorRegistry()
    publisher = BufferedPublisher(
        lambda: create_producer(bootstrap, enable_idempotence=False, request_timeout_ms=5000),
        PublisherMetrics(registry, "ingest"),
        batch_size=20,
    )
    publisher.max_backoff_s = 2.0
    feed = RegistryFeed(
        maker,
        lambda: AIOKafkaConsumer(
            REGISTRY_TOPIC,
            bootstrap_servers=bootstrap,
            group_id=f"ingest-{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        ),
    )
    poller = DevicePoller(
        sessionmaker=maker,
        book=load_policy_book(),
        credentials=RegistryCredentials(registry_url, token(Role.SERVICE)),
        publisher=publisher,
        metrics=PollerMetrics(registry),
        interval_s=1.0,
        concurrency=10,
        timeouts=FAST,
        reload_every_s=0.5,
    )
    tail = await _tail(bootstrap, [HEALTH_TOPIC])
    samples: dict[str, ingest_pb2.HealthSample] = {}

    async def drain(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for records in (await tail.getmany(timeout_ms=300)).values():
                for rec in records:
                    s = ingest_pb2.HealthSample.FromString(rec.value)
                    if s.device_id in ours:
                        samples[s.meta.event_id] = s  # deduplicate on the event id

    for loop in (publisher, feed, poller):
        await loop.start()
    try:
        while not all(any(s.device_id == d for s in samples.values()) for d in ours):
            await drain(1)
        broker.pause()
        try:
            await asyncio.sleep(30)  # ingest keeps polling; samples wait in the buffer
        finally:
            broker.resume()
        await drain(5)
        await poller.stop()  # no new polls; what was polled must all arrive
        polls = sum(w.polls for w in poller.watches.values() if str(w.device_id) in ours)
        deadline = time.monotonic() + 60
        while len(samples) < polls and time.monotonic() < deadline:
            await drain(1)
    finally:
        await poller.stop()
        for loop in (feed, publisher):
            await loop.stop()
        await tail.stop()
        await fleet.stop()
        await engine.dispose()
    during = [s for s in samples.values() if s.result == ingest_pb2.POLL_RESULT_OK]
    assert polls >= 3 * 25  # about one poll a second per device, the outage included
    assert len(samples) == polls, f"{polls} polls, {len(samples)} samples arrived"
    assert len(during) == polls  # the devices were fine throughout; only the broker was away
    assert (
        registry.get_sample_value(
            "kafka_messages_dropped_total", {"service": "ingest", "topic": HEALTH_TOPIC}
        )
        is None
    )
    assert (registry.get_sample_value("kafka_send_errors_total", {"service": "ingest"}) or 0) >= 1
