"""Keeps every watched device under watch: a jittered schedule per device, bounded
concurrency, backoff for devices that are down (never delaying healthy ones), and the
events of every poll handed to the publisher."""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
import uuid
from dataclasses import dataclass, field, replace

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.credentials import RegistryCredentials
from jifang.onvif import EventMessage, OnvifClient
from jifang.policy import PolicyBook
from jifang.publisher import BufferedPublisher
from jifang.runner import LongRunningService
from services.ingest.alarms import AlarmMetrics, AlarmNormaliser, PullPointSettings, PullPointWatcher
from services.ingest.events import alarm_event, health_sample, state_change, stream_metadata
from services.ingest.feed import FleetShare
from services.ingest.poll import CallTimeouts, poll_device
from services.ingest.repository import PollTarget, WatchedDeviceRepository
from services.ingest.state import DeviceState, derive

log = logging.getLogger("ingest.poller")


class PollerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter("ingest_polls_total", "Device polls by result", ["result"], registry=registry)
        self.duration = Histogram(
            "ingest_poll_duration_seconds",
            "Time one poll of one device took",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.start_lag = Histogram(
            "ingest_poll_start_lag_seconds",
            "How late a poll started after it was due",
            buckets=(0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60),
            registry=registry,
        )
        self.oldest_lag = Gauge(
            "ingest_oldest_poll_lag_seconds", "The most overdue device's lag", registry=registry
        )
        self.devices = Gauge(
            "ingest_devices",
            "Devices this replica polls, by their unit's district and status (online, offline, unknown)",
            ["district", "status"],
            registry=registry,
        )
        self.outages = Counter(
            "ingest_device_outages_total",
            "Devices that went offline (failed polls past the pack's threshold), by district",
            ["district"],
            registry=registry,
        )
        self.partitions = Gauge(
            "ingest_fleet_partitions",
            "Registry topic partitions (shares of the fleet, by unit) this replica polls",
            registry=registry,
        )
        self.events = AlarmMetrics(registry)


@dataclass
class _Watch:
    device_id: uuid.UUID
    unit_id: uuid.UUID
    district: str
    jurisdiction: str
    onvif_address: str | None
    next_due: float
    ptz_preset: str | None = None  # the registered preset the camera must rest at
    client: OnvifClient | None = None
    state: DeviceState = field(default_factory=DeviceState)
    fingerprint: str | None = None
    polls: int = 0
    running: bool = False
    alarms: PullPointWatcher | None = None
    normaliser: AlarmNormaliser = field(default_factory=AlarmNormaliser)


class DevicePoller(LongRunningService):
    name = "device-poller"

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        book: PolicyBook,
        credentials: RegistryCredentials,
        publisher: BufferedPublisher,
        metrics: PollerMetrics,
        interval_s: float = 60.0,
        concurrency: int = 200,
        timeouts: CallTimeouts | None = None,
        reload_every_s: float = 30.0,
        services_every: int = 10,
        rng: random.Random | None = None,
        pull_point: PullPointSettings | None = None,
        share: FleetShare | None = None,
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.book = book
        self.credentials = credentials
        self.publisher = publisher
        self.metrics = metrics
        self.interval_s = interval_s
        self.timeouts = timeouts or CallTimeouts()
        self.reload_every_s = reload_every_s
        self.services_every = services_every
        self.rng = rng or random.Random()
        # Device events: None switches PullPoint subscriptions off.
        self.pull_point = pull_point
        # The units this replica owns (None: a single poller that polls the whole fleet).
        self.share = share
        self._share_version = -1
        self.watches: dict[uuid.UUID, _Watch] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._next_reload = 0.0
        self._last_reload = -1.0
        self._tasks: set[asyncio.Task[None]] = set()
        # When each device is next due: a heap, so a round costs O(log n) per due device rather
        # than a scan of the fleet (10,000 devices at 60 s make a device due every 6 ms).
        self._schedule: list[tuple[float, int, uuid.UUID]] = []
        self._seq = 0
        # Polls started but waiting for a free slot, with their due times (the oldest lag).
        self._queued: dict[uuid.UUID, float] = {}
        self._next_gauge = 0.0

    def _plan(self, watch: _Watch) -> None:
        self._seq += 1
        heapq.heappush(self._schedule, (watch.next_due, self._seq, watch.device_id))

    async def _reload(self) -> None:
        async with self.sessionmaker() as session:
            devices = await WatchedDeviceRepository(session).pollable()
        seen: set[uuid.UUID] = set()
        now = time.monotonic()
        if self.share is not None:
            self._share_version = self.share.version
            self.metrics.partitions.set(len(self.share.partitions))
        for d in devices:
            if self.share is not None and not self.share.owns(d.unit_id):
                continue  # another replica's
            seen.add(d.device_id)
            self._upsert(d, now)
        for device_id in set(self.watches) - seen:
            watch = self.watches.pop(device_id)
            if watch.alarms is not None:
                await watch.alarms.stop()
            if watch.client:
                watch.client.close()
            self.credentials.forget(device_id)

    def _upsert(self, d: PollTarget, now: float) -> None:
        watch = self.watches.get(d.device_id)
        if watch is None:
            # First polls spread over one interval, so a fleet does not start all at once.
            watch = self.watches[d.device_id] = _Watch(
                d.device_id,
                d.unit_id,
                d.district,
                d.jurisdiction,
                d.onvif_address,
                next_due=now + self.rng.uniform(0, self.interval_s),
                ptz_preset=d.ptz_preset,
            )
            self._plan(watch)
            return
        if watch.onvif_address != d.onvif_address:
            if watch.client:
                watch.client.close()
            watch.client = None
            self.credentials.forget(d.device_id)
        if watch.ptz_preset != d.ptz_preset:
            # Another preset registered: a run of polls away from the old one counts no more.
            watch.state = replace(watch.state, ptz_away_polls=0, ptz_away_since=None, ptz_reported=False)
            watch.ptz_preset = d.ptz_preset
        watch.district, watch.jurisdiction, watch.onvif_address = d.district, d.jurisdiction, d.onvif_address

    async def run_once(self) -> float:
        now = time.monotonic()
        fleet_changed = self.share is not None and self.share.version != self._share_version
        # Reload on schedule, or soon after the fleet changed (at most once a second: a busy
        # registry must not make the poller re-read its share for every batch).
        if now >= self._next_reload or (fleet_changed and now >= self._last_reload + 1.0):
            await self._reload()
            self._next_reload = now + self.reload_every_s
            self._last_reload = now
            self._next_gauge = now
        while self._schedule and self._schedule[0][0] <= now:
            due, _, device_id = heapq.heappop(self._schedule)
            watch = self.watches.get(device_id)
            if watch is None or watch.running or watch.next_due != due:
                continue  # removed, or planned again since
            watch.running = True
            self._queued[device_id] = due
            task = asyncio.create_task(self._poll(watch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if now >= self._next_gauge:
            # Gauges once a second, not per poll: counting the fleet is a pass over it.
            self.metrics.oldest_lag.set(now - min(self._queued.values(), default=now))
            self._count()
            self._next_gauge = now + 1.0
        upcoming = self._schedule[0][0] if self._schedule else now + 0.5
        return max(0.0, min(0.5, upcoming - now))

    def _count(self) -> None:
        counts: dict[str, dict[str, int]] = {}
        for w in self.watches.values():
            by_status = counts.setdefault(w.district, {"online": 0, "offline": 0, "unknown": 0})
            by_status["unknown" if w.state.online is None else "online" if w.state.online else "offline"] += 1
        # Rebuilt whole (no await in between): a district with no device left disappears.
        self.metrics.devices.clear()
        for district, by_status in counts.items():
            self.metrics.outages.labels(district)  # from zero, so increase() sees the first one
            for status, n in by_status.items():
                self.metrics.devices.labels(district, status).set(n)

    async def _poll(self, watch: _Watch) -> None:
        try:
            async with self._slots:
                self._queued.pop(watch.device_id, None)
                started = time.monotonic()
                self.metrics.start_lag.observe(max(0.0, started - watch.next_due))
                await self._poll_once(watch)
                self.metrics.duration.observe(time.monotonic() - started)
        except Exception:
            log.exception("poll failed unexpectedly", extra={"device_id": str(watch.device_id)})
        finally:
            self._queued.pop(watch.device_id, None)
            watch.running = False
            watch.next_due = time.monotonic() + self._next_interval(watch)
            if self.watches.get(watch.device_id) is watch:
                self._plan(watch)

    def _next_interval(self, watch: _Watch) -> float:
        base = self.interval_s * self.rng.uniform(0.9, 1.1)
        if watch.state.online is False:
            # A device that is down is asked less often, up to 8 intervals apart.
            extra = watch.state.failed_polls - int(
                self.book[watch.jurisdiction].default("device_failed_polls_offline")
            )
            return float(base * min(8, 2 ** max(0, min(extra + 1, 3))))
        return base

    async def _poll_once(self, watch: _Watch) -> None:
        if watch.client is None:
            try:
                creds = await self.credentials.get(watch.device_id)
            except Exception as exc:
                # The registry is unreachable: no poll this round, no verdict on the device.
                log.warning(
                    "credentials unavailable",
                    extra={"device_id": str(watch.device_id), "error": type(exc).__name__},
                )
                return
            watch.client = OnvifClient(
                creds.onvif_address or watch.onvif_address or "", creds.username, creds.password
            )
        report = await poll_device(
            watch.client,
            refresh_services=watch.polls % self.services_every == 0,
            timeouts=self.timeouts,
            ptz_preset=watch.ptz_preset,
        )
        watch.polls += 1
        self.metrics.polls.labels(report.result).inc()
        if report.result == "auth_failure":
            # The password may have been changed in the registry: fetch it again next time.
            watch.client.close()
            watch.client = None
            self.credentials.forget(watch.device_id)
        pack = self.book[watch.jurisdiction]
        scene_change = watch.normaliser.raised("scene_change")
        watch.state, changes = derive(pack, watch.state, report.outcome(scene_change))
        self.publisher.offer(health_sample(watch, report))
        metadata = stream_metadata(watch, report)
        if metadata is not None and metadata[0] != watch.fingerprint:
            watch.fingerprint = metadata[0]
            self.publisher.offer(metadata[1])
        for change in changes:
            self.publisher.offer(state_change(watch, change))
            if change.kind == "went_offline":
                self.metrics.outages.labels(watch.district).inc()
            if change.kind == "came_back" and watch.alarms is not None:
                watch.alarms.wake()
        if report.ok and watch.client is not None and watch.client.has_events:
            self._watch_events(watch)
        if watch.client is not None and watch.alarms is not None and watch.alarms.running:
            # The subscription's long poll holds a connection to the device already: the poll's
            # own is not kept between polls (a device, and our file table, see one at rest).
            watch.client.close()

    def _watch_events(self, watch: _Watch) -> None:
        if self.pull_point is None:
            return
        if watch.alarms is None:
            metrics = self.metrics.events

            def on_messages(messages: list[EventMessage]) -> None:
                for alarm in watch.normaliser.feed(messages):
                    metrics.alarms.labels(alarm.kind).inc()
                    self.publisher.offer(alarm_event(watch, alarm))

            # The long poll gets a client of its own, made from the poll's current one (fresh
            # credentials and clock offset each time the subscription is re-created).
            watch.alarms = PullPointWatcher(
                str(watch.device_id),
                lambda: watch.client.sibling() if watch.client is not None else None,
                on_messages,
                metrics,
                self.pull_point,
                self.rng,
            )
        watch.alarms.start()

    async def on_stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(w.alarms.stop() for w in self.watches.values() if w.alarms is not None))
        for watch in self.watches.values():
            if watch.client:
                watch.client.close()
        await self.credentials.close()
