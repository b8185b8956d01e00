"""Device events through a PullPoint subscription per device, normalised into alarms.

One subscription per device at most. It is created with a relative termination time, kept
alive by the long polls and renewed when the device's own clock says less than half of it
is left (devices that do not count a pull as keep-alive exist). A device that cancels or
loses the subscription (reboot, expiry, full table) gets a new one after a backoff that
doubles until a subscription has lived long enough, so a misbehaving device is never
flooded with CreatePullPointSubscription calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge

from jifang.onvif import EventMessage, OnvifClient, OnvifError, OnvifFault
from services.ingest.state import RaisedAlarm

log = logging.getLogger("ingest.alarms")

# Topic path fragments (prefixes dropped) and the alarm kind they mean, most specific first.
KINDS: tuple[tuple[str, str], ...] = (
    ("StorageFailure", "storage_failure"),
    ("Storage/Failure", "storage_failure"),
    ("SignalLoss", "video_loss"),
    ("VideoLoss", "video_loss"),
    # The view no longer shows the learnt scene: ONVIF's VideoSource/GlobalSceneChange/* (from
    # the imaging, analytics or recording service) and rule engines' SceneChangeDetector.
    ("SceneChange", "scene_change"),
    ("Tamper", "tamper"),
    ("Motion", "motion"),
)
# Data items that carry the alarm's state, by the names devices use.
STATE_ITEMS = ("IsMotion", "IsTamper", "State", "Failed", "IsInside", "Value")
TRUE = frozenset({"true", "1", "on", "active"})


@dataclass(frozen=True)
class Alarm:
    kind: str
    active: bool
    occurred_at: datetime | None
    source: str
    onvif_topic: str
    data: dict[str, str]


class AlarmNormaliser:
    """Turns one device's event messages into alarms, each state change once.

    A new subscription starts with the state of every property ("Initialized"): it is news
    only where it differs from what is known, so a re-created subscription repeats nothing.
    """

    def __init__(self) -> None:
        self.states: dict[tuple[str, str], bool] = {}
        # Since when each alarm now raised has been, as ingest received it (our clock, not the
        # device's, so that how long it lasts is measured against the poll's time).
        self.since: dict[tuple[str, str], datetime] = {}
        self.ignored = 0

    def raised(self, kind: str) -> RaisedAlarm | None:
        """The longest-raised alarm of ``kind`` on any source, or None if none is raised."""
        found = [(at, source) for (k, source), at in self.since.items() if k == kind]
        if not found:
            return None
        at, source = min(found)
        return RaisedAlarm(at, source)

    def feed(self, messages: list[EventMessage], received_at: datetime | None = None) -> list[Alarm]:
        now = received_at or datetime.now(UTC)
        out = []
        for m in messages:
            kind = next((k for fragment, k in KINDS if fragment in m.topic), None)
            state = next((m.data[i] for i in STATE_ITEMS if i in m.data), None)
            if kind is None or state is None:
                self.ignored += 1  # events the platform does not act on (counters, rules...)
                continue
            active = state.strip().lower() in TRUE
            source = next(iter(m.source.values()), "")
            known = self.states.get((kind, source))
            self.states[(kind, source)] = active
            if active and m.operation != "Deleted":
                self.since.setdefault((kind, source), now)
            else:
                self.since.pop((kind, source), None)
            if m.operation == "Initialized" and active == (known or False):
                continue
            if m.operation == "Deleted":
                continue
            out.append(Alarm(kind, active, m.utc_time, source, m.topic, dict(m.data)))
        return out


class AlarmMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.active = Gauge(
            "ingest_event_subscriptions_active", "PullPoint subscriptions currently held", registry=registry
        )
        self.created = Counter(
            "ingest_event_subscriptions_created_total", "PullPoint subscriptions created", registry=registry
        )
        self.lost = Counter(
            "ingest_event_subscriptions_lost_total",
            "PullPoint subscriptions that ended or could not be created, by result",
            ["result"],
            registry=registry,
        )
        self.alarms = Counter(
            "ingest_alarms_total", "Alarm events from devices by kind", ["kind"], registry=registry
        )
        for kind in sorted({k for _, k in KINDS}):
            self.alarms.labels(kind)  # from zero: the dashboard shows "none" rather than "no data"


@dataclass(frozen=True)
class PullPointSettings:
    keep_alive_s: int = 120  # the relative termination time asked for
    wait_s: int = 60  # PullMessages long-poll timeout (lowered to a device's MaxTimeout)
    message_limit: int = 100
    min_backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    stable_after_s: float = 60.0  # a subscription that lived this long resets the backoff


class PullPointWatcher:
    """Holds one device's PullPoint subscription and hands its messages on."""

    def __init__(
        self,
        device_id: str,
        client_factory: Callable[[], OnvifClient | None],
        on_messages: Callable[[list[EventMessage]], None],
        metrics: AlarmMetrics,
        settings: PullPointSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.device_id = device_id
        self.client_factory = client_factory
        self.on_messages = on_messages
        self.metrics = metrics
        self.settings = settings or PullPointSettings()
        self.rng = rng or random.Random()
        self.backoff_s = self.settings.min_backoff_s
        self.wait_s = self.settings.wait_s  # lowered if the device says its maximum is less
        self._client: OnvifClient | None = None
        self._address: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=f"pullpoint-{self.device_id}")

    def wake(self) -> None:
        """The device is back: try again now rather than at the end of the backoff."""
        self.backoff_s = self.settings.min_backoff_s
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        client, address = self._client, self._address
        if client is not None and address is not None:
            # Free the device's pull point rather than leave it to expire.
            with contextlib.suppress(OnvifError, OSError):
                async with asyncio.timeout(2):
                    await client.unsubscribe(address)
        self._release()

    def _release(self) -> None:
        if self._address is not None:
            self.metrics.active.dec()
        if self._client is not None:
            self._client.close()
        self._client, self._address = None, None

    async def _run(self) -> None:
        s = self.settings
        while True:
            client = self.client_factory()
            started = time.monotonic()
            if client is not None and client.has_events:
                self._client = client
                # On cancellation the subscription stays held: stop() unsubscribes it.
                try:
                    await self._hold(client)
                except Exception as exc:
                    result = exc.result if isinstance(exc, OnvifError) else "error"
                    self.metrics.lost.labels(result).inc()
                    log.info(
                        "event subscription ended",
                        extra={"device_id": self.device_id, "result": result, "error": repr(exc)[:200]},
                        exc_info=not isinstance(exc, OnvifError),  # a bug of ours: the trace
                    )
                    self._release()
            if time.monotonic() - started >= s.stable_after_s:
                self.backoff_s = s.min_backoff_s
            delay = self.backoff_s * self.rng.uniform(0.8, 1.2)
            self.backoff_s = min(s.max_backoff_s, self.backoff_s * 2)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _hold(self, client: OnvifClient) -> None:
        s = self.settings
        sub = await client.create_pull_point(s.keep_alive_s)
        self._address = sub.address
        self.metrics.created.inc()
        self.metrics.active.inc()
        remaining = (sub.termination_time - sub.current_time).total_seconds()
        while True:
            if remaining < s.keep_alive_s / 2:
                renewed = await client.renew(sub.address, s.keep_alive_s)
                remaining = (renewed - (datetime.now(renewed.tzinfo) + client.clock_offset)).total_seconds()
            wait = max(1, min(self.wait_s, int(remaining / 2)))
            try:
                result = await client.pull_messages(sub.address, wait, s.message_limit)
            except OnvifFault as fault:
                if fault.max_wait_s is None or fault.max_wait_s >= wait:
                    raise
                self.wait_s = max(1, fault.max_wait_s)  # the device's limit: pull again within it
                continue
            remaining = (result.termination_time - result.current_time).total_seconds()
            if result.messages:
                self.on_messages(result.messages)
