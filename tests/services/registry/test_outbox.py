"""Transactional outbox against the real broker: nothing lost while it is down, nothing
published for a rolled-back change, order kept per unit."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select, update

from devtools.broker import LocalBroker
from jifang.auth import Role
from jifang.outbox import OutboxMetrics, OutboxRelay
from jifang.policy import load_policy_book
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2
from services.registry.models import OutboxEvent
from services.registry.units.schemas import UnitCreate
from services.registry.units.service import UnitService
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit, new_uscc


async def _consumer_at_end(bootstrap: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    parts = consumer.partitions_for_topic(REGISTRY_TOPIC) or set()
    if not parts:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(REGISTRY_TOPIC) or set()
    tps = [TopicPartition(REGISTRY_TOPIC, p) for p in parts]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


async def _collect(
    consumer: AIOKafkaConsumer, unit_ids: set[str], want: int, timeout: float
) -> list[registry_pb2.RegistryEvent]:
    seen: dict[str, registry_pb2.RegistryEvent] = {}
    order: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(order) < want:
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for rec in records:
                ev = registry_pb2.RegistryEvent.FromString(rec.value)
                assert rec.key.decode() == ev.unit_id  # keyed by unit
                if ev.unit_id in unit_ids and ev.meta.event_id not in seen:  # deduplicate on event id
                    seen[ev.meta.event_id] = ev
                    order.append(ev.meta.event_id)
    return [seen[e] for e in order]


async def test_changes_made_while_the_broker_is_down_all_arrive_in_order(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    token: TokenFactory,
    broker: LocalBroker | None,
    bootstrap: str,
) -> None:
    if broker is None:
        pytest.skip("needs the bundled broker, which the test can pause")
    tech = auth(token(Role.TECH_OFFICE))
    consumer = await _consumer_at_end(bootstrap)
    try:
        broker.pause()
        try:
            unit = await create_unit(client, tech)
            names = [f"部位{i}" for i in range(5)]
            for name in names:
                r = await client.post(f"/api/v1/units/{unit['id']}/places", json={"name": name}, headers=tech)
                assert r.status_code == 201  # the change is accepted and committed while the broker is down
            r = await client.get("/readyz")
            assert r.status_code == 503 and r.json()["checks"]["broker"].startswith("unreachable")
            await asyncio.sleep(2)
            metrics = (await client.get("/metrics")).text
            assert "outbox_events_pending" in metrics
        finally:
            broker.resume()
        events = await _collect(consumer, {unit["id"]}, want=6, timeout=60)
    finally:
        await consumer.stop()
    kinds = [e.WhichOneof("body") for e in events]
    assert kinds == ["unit_changed"] + ["place_changed"] * 5
    assert [e.place_changed.name for e in events[1:]] == names
    assert events[0].unit_changed.uscc == unit["uscc"]
    assert len({e.meta.event_id for e in events}) == 6
    assert (await client.get("/readyz")).status_code == 200


async def test_a_rolled_back_change_publishes_nothing(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory, bootstrap: str
) -> None:
    consumer = await _consumer_at_end(bootstrap)
    try:
        async with registry_app.state.sessionmaker() as session:
            rolled_back = await UnitService(session, load_policy_book()).create(
                UnitCreate(
                    name="回滚单位",
                    uscc=new_uscc(),
                    address="某地",
                    district="道里区",
                    is_business=False,
                    security_affiliation="none",
                    jurisdiction="harbin-2008",
                )
            )
            await session.rollback()
        committed = await create_unit(client, auth(token(Role.TECH_OFFICE)))
        events = await _collect(consumer, {str(rolled_back.id), committed["id"]}, want=2, timeout=20)
    finally:
        await consumer.stop()
    assert [e.unit_id for e in events] == [committed["id"]]
    assert uuid.UUID(events[0].meta.event_id)


async def test_published_events_are_pruned_after_their_keep_time(registry_app: FastAPI) -> None:

    maker = registry_app.state.sessionmaker
    async with maker() as session, session.begin():
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.published_at.is_not(None))
            .values(published_at=func.now() - func.make_interval(0, 0, 0, 8))
        )
        old = await session.scalar(select(func.count()).where(OutboxEvent.published_at.is_not(None)))
    relay = OutboxRelay(
        sessionmaker=maker,
        model=OutboxEvent,
        producer_factory=None,
        metrics=OutboxMetrics(CollectorRegistry(), "test"),
        keep_published_s=7 * 86400,
    )
    async with maker() as session, session.begin():
        await relay._prune(session)
    async with maker() as session:
        left = await session.scalar(
            select(func.count()).where(OutboxEvent.published_at < func.now() - func.make_interval(0, 0, 0, 7))
        )
    assert old and old > 0 and left == 0
