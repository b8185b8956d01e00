"""End to end: the registry announces devices, ingest mirrors them, fetches their credentials,
polls the simulated devices and publishes health samples and state changes to Kafka."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.auth import Role
from jifang.db import create_engine, create_sessionmaker
from jifang.kafka import create_producer
from jifang.migrate import upgrade_async
from jifang.policy import load_policy_book
from jifang.publisher import BufferedPublisher, PublisherMetrics
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import ingest_pb2
from services.ingest import ALEMBIC_INI
from services.ingest.credentials import RegistryCredentials
from services.ingest.events import HEALTH_TOPIC, STATE_TOPIC
from services.ingest.feed import RegistryFeed
from services.ingest.poll import CallTimeouts
from services.ingest.poller import DevicePoller, PollerMetrics
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

FAST = CallTimeouts(clock=0.5, info=0.5, services=0.5, profiles=0.5, stream_uri=0.5, video_sources=0.5)


async def _tail(bootstrap: str, topics: list[str]) -> AIOKafkaConsumer:
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


async def test_devices_are_polled_and_their_changes_published(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    database_url: str,
    bootstrap: str,
) -> None:
    await upgrade_async(ALEMBIC_INI, database_url)
    fleet = Fleet()
    await fleet.start(SimDevice(f"e2e-{i}", password="pw") for i in range(3))
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ids: dict[str, str] = {}
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
        ids[sim.device_id] = r.json()["id"]
    by_device = {v: k for k, v in ids.items()}

    engine = create_engine(database_url, 4, "ingest-test")
    maker = create_sessionmaker(engine)
    registry = CollectorRegistry()
    publisher = BufferedPublisher(
        lambda: create_producer(bootstrap, enable_idempotence=False),
        PublisherMetrics(registry, "ingest"),
        batch_size=50,
    )
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
    metrics = PollerMetrics(registry)
    poller = DevicePoller(
        sessionmaker=maker,
        book=load_policy_book(),
        credentials=RegistryCredentials(registry_url, token(Role.SERVICE)),
        publisher=publisher,
        metrics=metrics,
        interval_s=1.0,
        concurrency=10,
        timeouts=FAST,
        reload_every_s=0.5,
    )
    tail = await _tail(bootstrap, [HEALTH_TOPIC, STATE_TOPIC])
    health: dict[str, list[int]] = defaultdict(list)
    states: list[tuple[str, str, ingest_pb2.DeviceStateChange]] = []

    async def collect(until, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until():
            for records in (await tail.getmany(timeout_ms=300)).values():
                for rec in records:
                    if rec.topic == HEALTH_TOPIC:
                        s = ingest_pb2.HealthSample.FromString(rec.value)
                        if s.device_id in by_device:
                            health[by_device[s.device_id]].append(s.result)
                    else:
                        c = ingest_pb2.DeviceStateChange.FromString(rec.value)
                        if c.device_id in by_device:
                            states.append((by_device[c.device_id], c.WhichOneof("change"), c))
        assert until(), (dict(health), [(d, k) for d, k, _ in states])

    for loop in (publisher, feed, poller):
        await loop.start()
    try:
        await collect(lambda: all(ingest_pb2.POLL_RESULT_OK in health[d] for d in ids))

        # An outage: offline after 3 failed polls, back with its length (HRB art. 20(5)).
        await fleet.update("e2e-0", {"offline": True})
        await collect(lambda: any(d == "e2e-0" and k == "went_offline" for d, k, _ in states))
        await fleet.update("e2e-0", {"offline": False})
        await collect(lambda: any(d == "e2e-0" and k == "came_back" for d, k, _ in states))
        back = next(c for d, k, c in states if d == "e2e-0" and k == "came_back")
        assert back.came_back.outage_seconds > 0 and list(back.articles) == ["HRB-2008 art. 20(5)"]
        assert ingest_pb2.POLL_RESULT_UNREACHABLE in health["e2e-0"]

        # A replaced device (new serial number, HRB art. 20(6)).
        await fleet.update("e2e-1", {"replace": True})
        await collect(lambda: any(d == "e2e-1" and k == "replaced" for d, k, _ in states))

        # A password changed on the device: auth failures until the registry has the new one.
        await fleet.update("e2e-2", {"password": "rotated"})
        await collect(lambda: ingest_pb2.POLL_RESULT_AUTH_FAILURE in health["e2e-2"])
        await client.patch(f"/api/v1/devices/{ids['e2e-2']}", json={"password": "rotated"}, headers=tech)
        mark = len(health["e2e-2"])
        await collect(lambda: ingest_pb2.POLL_RESULT_OK in health["e2e-2"][mark:])

        assert (registry.get_sample_value("ingest_polls_total", {"result": "ok"}) or 0) > 5
        assert (
            registry.get_sample_value(
                "kafka_messages_dropped_total", {"service": "ingest", "topic": HEALTH_TOPIC}
            )
            is None
        )
    finally:
        for loop in (poller, feed, publisher):
            await loop.stop()
        await tail.stop()
        await fleet.stop()
        await engine.dispose()
