"""End to end: the registry announces devices, ingest mirrors them, fetches their credentials,
polls the simulated devices and publishes health samples and state changes to Kafka."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.topics import ALARM_TOPIC, HEALTH_TOPIC, REGISTRY_TOPIC, STATE_TOPIC
from jifang.v1 import ingest_pb2
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth, eventually
from tests.services.ingest.conftest import pipeline, register_fleet, tail_topics
from tests.services.registry.factories import create_unit


async def test_devices_are_polled_and_their_changes_published(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
) -> None:
    fleet = Fleet()
    await fleet.start(SimDevice(f"e2e-{i}", password="pw") for i in range(3))
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ids = await register_fleet(client, tech, unit["id"], fleet)
    by_device = {v: k for k, v in ids.items()}
    ingest = pipeline(ingest_maker, bootstrap, registry_url, token(Role.SERVICE))
    tail = await tail_topics(bootstrap, [HEALTH_TOPIC, STATE_TOPIC])
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

    await ingest.start()
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

        assert (ingest.metrics.get_sample_value("ingest_polls_total", {"result": "ok"}) or 0) > 5
        # What the fleet dashboard and the offline-share alert read, by the unit's district.
        district = unit["district"]
        assert ingest.metrics.get_sample_value("ingest_device_outages_total", {"district": district}) == 1

        def devices(status: str) -> float | None:
            return ingest.metrics.get_sample_value("ingest_devices", {"district": district, "status": status})

        await eventually(lambda: devices("online") == 3)
        assert devices("offline") == 0
        # The feed applied the registry's events and says how far behind it is.
        assert ingest.feed.metrics is not None
        group = {"service": "ingest", "group": ingest.feed.metrics.group, "topic": REGISTRY_TOPIC}
        assert (ingest.metrics.get_sample_value("kafka_messages_consumed_total", group) or 0) >= 3
        assert ingest.metrics.get_sample_value("kafka_consumer_lag", group) is not None
        dropped = ingest.metrics.get_sample_value(
            "kafka_messages_dropped_total", {"service": "ingest", "topic": HEALTH_TOPIC}
        )
        assert dropped == 0  # counted from zero: nothing dropped
    finally:
        await ingest.stop()
        await tail.stop()
        await fleet.stop()


async def test_device_alarms_reach_the_alarm_topic(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
) -> None:
    fleet = Fleet()
    await fleet.start(
        [SimDevice("alarm-0", password="pw"), SimDevice("alarm-1", password="pw", events=False)]
    )
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ids = await register_fleet(client, tech, unit["id"], fleet)
    ingest = pipeline(ingest_maker, bootstrap, registry_url, token(Role.SERVICE))
    tail = await tail_topics(bootstrap, [ALARM_TOPIC])
    alarms: list[ingest_pb2.AlarmEvent] = []
    dev = fleet.devices["alarm-0"]
    await ingest.start()
    try:
        deadline = time.monotonic() + 20
        while dev.event_source.created == 0 or not dev.event_source.pull_points:
            assert time.monotonic() < deadline, "no subscription"
            await asyncio.sleep(0.1)
        dev.raise_alarm("video_loss", True)
        dev.raise_alarm("video_loss", False)
        while len(alarms) < 2 and time.monotonic() < deadline:
            for records in (await tail.getmany(timeout_ms=300)).values():
                alarms += [
                    a
                    for a in (ingest_pb2.AlarmEvent.FromString(r.value) for r in records)
                    if a.device_id in ids.values()
                ]
        assert [(a.kind, a.active) for a in alarms] == [
            (ingest_pb2.ALARM_KIND_VIDEO_LOSS, True),
            (ingest_pb2.ALARM_KIND_VIDEO_LOSS, False),
        ]
        first = alarms[0]
        assert first.device_id == ids["alarm-0"] and first.unit_id == unit["id"]
        assert first.district == unit["district"] and first.source == "VideoSource_1"
        assert first.onvif_topic == "VideoSource/SignalLoss"
        assert len({a.meta.event_id for a in alarms}) == 2
        assert ingest.metrics.get_sample_value("ingest_event_subscriptions_active") == 1  # not alarm-1
        assert ingest.metrics.get_sample_value("ingest_alarms_total", {"kind": "video_loss"}) == 2
        assert fleet.devices["alarm-1"].event_source.created == 0
    finally:
        await ingest.stop()
        await tail.stop()
        await fleet.stop()
    assert dev.event_source.pull_points == {}


async def test_hanging_devices_do_not_delay_the_others(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
) -> None:
    fleet = Fleet()
    await fleet.start(SimDevice(f"fair-{i}", password="pw", events=False) for i in range(12))
    for i in range(4):  # a third of the fleet accepts connections and never answers
        await fleet.update(f"fair-{i}", {"hanging": True})
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ids = await register_fleet(client, tech, unit["id"], fleet)
    by_device = {v: k for k, v in ids.items()}
    ingest = pipeline(ingest_maker, bootstrap, registry_url, token(Role.SERVICE))
    tail = await tail_topics(bootstrap, [HEALTH_TOPIC])
    results: dict[str, list[int]] = defaultdict(list)
    await ingest.start()
    try:
        # Twelve seconds from the first sample (joining the feed's consumer group comes first
        # and takes its own time, more on a busy machine).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for records in (await tail.getmany(timeout_ms=300)).values():
                for r in records:
                    s = ingest_pb2.HealthSample.FromString(r.value)
                    if s.device_id in by_device:
                        if not results:
                            deadline = time.monotonic() + 12
                        results[by_device[s.device_id]].append(s.result)
    finally:
        await ingest.stop()
        await tail.stop()
        await fleet.stop()
    healthy = [f"fair-{i}" for i in range(4, 12)]
    # Polled every second: about ten polls each in twelve seconds (the first within the first
    # second), every one answered, however long the hanging devices hold their calls.
    assert all(results[d].count(ingest_pb2.POLL_RESULT_OK) >= 8 for d in healthy), dict(results)
    assert all(set(results[f"fair-{i}"]) == {ingest_pb2.POLL_RESULT_TIMEOUT} for i in range(4))
