"""Device events: normalised into alarms once per change, and the PullPoint subscription
kept alive, renewed, re-created after a loss without flooding the device, and released."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree
from prometheus_client import CollectorRegistry

from jifang.onvif import EventMessage, OnvifClient
from services.ingest.alarms import AlarmMetrics, AlarmNormaliser, PullPointWatcher
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import assert_valid
from tests.services.ingest.conftest import FAST_PULL_POINT

NS_TEV = "http://www.onvif.org/ver10/events/wsdl"

T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def msg(topic: str, operation: str, source: dict[str, str], data: dict[str, str]) -> EventMessage:
    return EventMessage(topic, T, operation, source, data)


def test_initial_state_is_news_only_where_it_differs() -> None:
    n = AlarmNormaliser()
    motion = "RuleEngine/CellMotionDetector/Motion"
    src = {"VideoSourceConfigurationToken": "VSC_1"}
    assert n.feed([msg(motion, "Initialized", src, {"IsMotion": "false"})]) == []
    storage = msg("Device/HardwareFailure/StorageFailure", "Initialized", {"Token": "S1"}, {"Failed": "true"})
    [failed] = n.feed([storage])
    assert (failed.kind, failed.active, failed.source) == ("storage_failure", True, "S1")
    assert n.feed([storage]) == []  # a re-created subscription repeats the state: nothing new
    [raised, cleared] = n.feed(
        [
            msg(motion, "Changed", src, {"IsMotion": "true"}),
            msg(motion, "Changed", src, {"IsMotion": "false"}),
        ]
    )
    assert (raised.kind, raised.active, cleared.active) == ("motion", True, False)
    assert raised.onvif_topic == motion and raised.data == {"IsMotion": "true"}


def test_vendor_topics_are_mapped_and_unknown_ones_ignored() -> None:
    n = AlarmNormaliser()
    alarms = n.feed(
        [
            msg("VideoSource/MotionAlarm", "Changed", {"Source": "VS1"}, {"State": "true"}),
            msg(
                "VideoSource/GlobalSceneChange/ImagingService",
                "Changed",
                {"Source": "VS1"},
                {"State": "true"},
            ),
            msg(
                "RuleEngine/SceneChangeDetector/SceneChange", "Changed", {"Source": "VS2"}, {"State": "true"}
            ),
            msg("RuleEngine/TamperDetector/Tamper", "Changed", {"Source": "VS1"}, {"IsTamper": "true"}),
            msg("VideoSource/SignalLoss", "Changed", {"Source": "VS1"}, {"State": "1"}),
            msg("Monitoring/ProcessorUsage", "Changed", {"Token": "CPU"}, {"Value": "12"}),
            msg("Device/Trigger/DigitalInput", "Changed", {"InputToken": "1"}, {"LogicalState": "true"}),
        ]
    )
    assert [(a.kind, a.active) for a in alarms] == [
        ("motion", True),
        ("scene_change", True),
        ("scene_change", True),
        ("tamper", True),
        ("video_loss", True),
    ]
    assert n.ignored == 2


def test_how_long_a_scene_change_stays_raised_is_kept() -> None:
    """The alarm a scene change is published as; since when it has stayed raised (what ingest
    received, on its own clock) is what the position check measures, per source, until it clears."""
    n = AlarmNormaliser()
    scene = "VideoSource/GlobalSceneChange/ImagingService"
    assert n.raised("scene_change") is None
    n.feed([msg(scene, "Initialized", {"Source": "VS1"}, {"State": "false"})], T)
    assert n.raised("scene_change") is None
    n.feed([msg(scene, "Changed", {"Source": "VS1"}, {"State": "true"})], T + timedelta(minutes=1))
    n.feed([msg(scene, "Changed", {"Source": "VS2"}, {"State": "true"})], T + timedelta(minutes=2))
    # A re-created subscription repeats the state: the alarm has been raised since the first time.
    n.feed([msg(scene, "Initialized", {"Source": "VS1"}, {"State": "true"})], T + timedelta(minutes=5))
    raised = n.raised("scene_change")
    assert raised is not None and (raised.since, raised.source) == (T + timedelta(minutes=1), "VS1")
    n.feed([msg(scene, "Changed", {"Source": "VS1"}, {"State": "false"})], T + timedelta(minutes=6))
    raised = n.raised("scene_change")
    assert raised is not None and (raised.since, raised.source) == (T + timedelta(minutes=2), "VS2")
    n.feed([msg(scene, "Deleted", {"Source": "VS2"}, {"State": "true"})], T + timedelta(minutes=7))
    assert n.raised("scene_change") is None and n.raised("motion") is None


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start([SimDevice("ev", password="pw")])
    yield f
    await f.stop()


async def connected(dev: SimDevice) -> OnvifClient:
    c = OnvifClient(f"{dev.base_url}/onvif/device_service", dev.username, dev.password, timeout_s=2)
    await c.get_system_date_and_time()
    await c.get_services()
    return c


def watcher(
    poll_client: OnvifClient, received: list[EventMessage], metrics: CollectorRegistry
) -> PullPointWatcher:
    return PullPointWatcher(
        "ev", poll_client.sibling, received.extend, AlarmMetrics(metrics), FAST_PULL_POINT, random.Random(1)
    )


async def until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_a_subscription_delivers_is_renewed_recreated_and_released(fleet: Fleet) -> None:
    dev = fleet.devices["ev"]
    poll_client = await connected(dev)
    received: list[EventMessage] = []
    metrics = CollectorRegistry()
    w = watcher(poll_client, received, metrics)
    w.start()
    try:
        await until(lambda: len(received) >= 4)  # the initial state
        assert metrics.get_sample_value("ingest_event_subscriptions_active") == 1
        dev.raise_alarm("motion", True)
        await until(lambda: any(m.operation == "Changed" for m in received), timeout=3)

        # A device that does not count pulls as keep-alive: renewals keep the subscription.
        await fleet.update("ev", {"pull_extends": False})
        await asyncio.sleep(FAST_PULL_POINT.keep_alive_s * 1.5)
        assert dev.event_source.renewals >= 1
        assert dev.event_source.created == 1 and len(dev.event_source.pull_points) == 1

        # The device reboots: its pull points are gone; a new one is made, once.
        await fleet.update("ev", {"reboot": True, "pull_extends": True})
        await until(lambda: dev.event_source.created == 2)
        await asyncio.sleep(1)
        assert dev.event_source.created == 2
        assert (
            metrics.get_sample_value("ingest_event_subscriptions_lost_total", {"result": "soap_fault"}) == 1
        )
        dev.raise_alarm("tamper", True)
        await until(
            lambda: any(m.topic.endswith("Tamper") and m.data["IsTamper"] == "true" for m in received)
        )
    finally:
        await w.stop()
        poll_client.close()
    assert dev.event_source.pull_points == {}  # unsubscribed, not left to expire
    assert metrics.get_sample_value("ingest_event_subscriptions_active") == 0


async def test_a_device_that_refuses_subscriptions_is_not_flooded(fleet: Fleet) -> None:
    dev = fleet.devices["ev"]
    poll_client = await connected(dev)
    await fleet.update("ev", {"max_pull_points": 0})
    metrics = CollectorRegistry()
    w = watcher(poll_client, [], metrics)
    w.start()
    await asyncio.sleep(5)
    await w.stop()
    poll_client.close()
    # Backoff 0.2, 0.4, 0.8, 1.6, 2 s (±20 %): about five attempts in five seconds, not hundreds.
    assert 3 <= dev.event_source.refused <= 6
    lost = metrics.get_sample_value("ingest_event_subscriptions_lost_total", {"result": "soap_fault"})
    assert lost == dev.event_source.refused
    assert metrics.get_sample_value("ingest_event_subscriptions_active") == 0


async def test_a_device_with_a_shorter_maximum_wait_is_pulled_within_it(
    fleet: Fleet, schema: etree.XMLSchema
) -> None:
    dev = fleet.devices["ev"]
    await fleet.update("ev", {"max_pull_wait_s": 1})
    poll_client = await connected(dev)
    received: list[EventMessage] = []
    metrics = CollectorRegistry()
    w = watcher(poll_client, received, metrics)  # asks for 2 s waits
    w.start()
    try:
        await until(lambda: w.wait_s == 1)
        dev.raise_alarm("motion", True)
        await until(lambda: any(m.operation == "Changed" for m in received))
        assert dev.event_source.created == 1  # the same subscription, pulled within the limit
        assert (
            metrics.get_sample_value("ingest_event_subscriptions_lost_total", {"result": "soap_fault"})
            is None
        )
    finally:
        await w.stop()
        poll_client.close()
    # The fault that told it so is valid SOAP 1.2 with the ONVIF detail.
    sub = await (await connected(dev)).create_pull_point(10)
    async with httpx.AsyncClient() as http:
        raw = await http.post(
            sub.address,
            content=OnvifClient(dev.base_url, dev.username, dev.password).envelope(
                f'<tev:PullMessages xmlns:tev="{NS_TEV}"><tev:Timeout>PT5S</tev:Timeout>'
                "<tev:MessageLimit>1</tev:MessageLimit></tev:PullMessages>"
            ),
            headers={"Content-Type": "application/soap+xml"},
        )
    root = etree.fromstring(raw.content)
    assert_valid(schema, root)
    assert root.findtext(f".//{{{NS_TEV}}}MaxTimeout") == "PT1S"
