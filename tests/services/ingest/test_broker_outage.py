"""The broker stops for 30 s while ingest polls: every poll's health sample arrives once it is
back (none lost, duplicates only by event id, which consumers drop)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.broker import LocalBroker
from jifang.auth import Role
from jifang.topics import HEALTH_TOPIC
from jifang.v1 import ingest_pb2
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.ingest.conftest import pipeline, register_fleet, tail_topics
from tests.services.registry.factories import create_unit


@pytest.mark.slow
async def test_a_30_second_broker_outage_loses_no_sample(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
    broker: LocalBroker | None,
) -> None:
    if broker is None:
        pytest.skip("needs the bundled broker, which the test can pause")
    fleet = Fleet()
    await fleet.start(SimDevice(f"out-{i}", password="pw") for i in range(3))
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ours = set((await register_fleet(client, tech, unit["id"], fleet)).values())
    ingest = pipeline(ingest_maker, bootstrap, registry_url, token(Role.SERVICE), request_timeout_ms=5000)
    tail = await tail_topics(bootstrap, [HEALTH_TOPIC])
    samples: dict[str, ingest_pb2.HealthSample] = {}

    async def drain(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for records in (await tail.getmany(timeout_ms=300)).values():
                for rec in records:
                    s = ingest_pb2.HealthSample.FromString(rec.value)
                    if s.device_id in ours:
                        samples[s.meta.event_id] = s  # deduplicate on the event id

    await ingest.start()
    try:
        while not all(any(s.device_id == d for s in samples.values()) for d in ours):
            await drain(1)
        broker.pause()
        try:
            await asyncio.sleep(30)  # ingest keeps polling; samples wait in the buffer
        finally:
            broker.resume()
        await drain(5)
        await ingest.poller.stop()  # no new polls; what was polled must all arrive
        polls = sum(w.polls for w in ingest.poller.watches.values() if str(w.device_id) in ours)
        deadline = time.monotonic() + 60
        while len(samples) < polls and time.monotonic() < deadline:
            await drain(1)
    finally:
        await ingest.stop()
        await tail.stop()
        await fleet.stop()
    during = [s for s in samples.values() if s.result == ingest_pb2.POLL_RESULT_OK]
    assert polls >= 3 * 25  # about one poll a second per device, the outage included
    assert len(samples) == polls, f"{polls} polls, {len(samples)} samples arrived"
    assert len(during) == polls  # the devices were fine throughout; only the broker was away
    metrics = ingest.metrics
    assert (
        metrics.get_sample_value("kafka_messages_dropped_total", {"service": "ingest", "topic": HEALTH_TOPIC})
        == 0
    )
    assert (metrics.get_sample_value("kafka_send_errors_total", {"service": "ingest"}) or 0) >= 1
