"""The Events service of a simulated device: PullPoint subscriptions (ONVIF Core, WS-BaseNotification).

A device keeps a few pull points, each with a termination time in the device's own clock,
extended by Renew and by every PullMessages (the keep-alive the ONVIF Core asks for). A pull
point begins with the current state of every property (PropertyOperation="Initialized"),
then receives each change. Pull points die when they expire, when the device reboots, or on
Unsubscribe; their address then answers a ResourceUnknown fault, as real devices do.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

AlarmKind = Literal["motion", "tamper", "scene_change", "video_loss", "storage_failure"]

# (topic, source item name, data item name) per alarm kind: what common cameras and NVRs send.
ALARM_TOPICS: dict[str, tuple[str, str, str]] = {
    "motion": ("tns1:RuleEngine/CellMotionDetector/Motion", "VideoSourceConfigurationToken", "IsMotion"),
    "tamper": ("tns1:RuleEngine/TamperDetector/Tamper", "VideoSourceConfigurationToken", "IsTamper"),
    # The view no longer shows the learnt scene (the camera turned, or something in front of it).
    "scene_change": ("tns1:VideoSource/GlobalSceneChange/ImagingService", "Source", "State"),
    "video_loss": ("tns1:VideoSource/SignalLoss", "Source", "State"),
    "storage_failure": ("tns1:Device/HardwareFailure/StorageFailure", "Token", "Failed"),
}
MAX_TIMEOUT = timedelta(seconds=60)  # the longest PullMessages wait the device accepts
MAX_MESSAGE_LIMIT = 1000
QUEUE_LIMIT = 1000  # a pull point nobody reads keeps this many messages; older ones are lost


@dataclass(frozen=True)
class Notification:
    topic: str
    utc_time: datetime
    operation: Literal["Initialized", "Changed", "Deleted"]
    source: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]


@dataclass
class PullPoint:
    index: int
    keep_alive: timedelta  # the relative termination time asked for at creation
    terminates: datetime
    queue: deque[Notification] = field(default_factory=lambda: deque(maxlen=QUEUE_LIMIT))
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pulls: int = 0

    def push(self, message: Notification) -> None:
        self.queue.append(message)
        self.wake.set()


class PullPointGone(Exception):
    """The pull point does not exist (never did, expired, or the device rebooted)."""


@dataclass
class EventSource:
    """A device's event state: the alarm inputs and the pull points reading them."""

    sources: tuple[str, ...] = ("VideoSource_1",)
    max_pull_points: int = 8
    max_wait: timedelta = MAX_TIMEOUT  # the longest PullMessages wait this device accepts
    pull_points: dict[int, PullPoint] = field(default_factory=dict)
    states: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Whether PullMessages counts as keep-alive (ONVIF Core asks it; some devices do not).
    pull_extends: bool = True
    created: int = 0  # CreatePullPointSubscription calls accepted, for tests of "no flooding"
    refused: int = 0  # ... and refused (no pull point left)
    renewals: int = 0
    _next_index: int = 0

    def live(self, now: datetime) -> dict[int, PullPoint]:
        for index in [i for i, p in self.pull_points.items() if p.terminates < now]:
            self.pull_points.pop(index).wake.set()
        return self.pull_points

    def create(self, now: datetime, keep_alive: timedelta) -> PullPoint | None:
        if len(self.live(now)) >= self.max_pull_points:
            self.refused += 1
            return None
        point = PullPoint(self._next_index, keep_alive, now + keep_alive)
        self._next_index += 1
        self.created += 1
        for message in self.initial_state(now):
            point.push(message)
        self.pull_points[point.index] = point
        return point

    def initial_state(self, now: datetime) -> list[Notification]:
        """The current state of every property, as a new pull point first receives it."""
        out = []
        for kind, (topic, source_name, data_name) in ALARM_TOPICS.items():
            for source in self._sources_of(kind):
                state = _bool(self.states.get((kind, source), False))
                out.append(
                    Notification(topic, now, "Initialized", ((source_name, source),), ((data_name, state),))
                )
        return out

    def get(self, index: int, now: datetime) -> PullPoint:
        point = self.live(now).get(index)
        if point is None:
            raise PullPointGone(index)
        return point

    def remove(self, index: int) -> None:
        point = self.pull_points.pop(index, None)
        if point is None:
            raise PullPointGone(index)
        point.wake.set()

    def drop_all(self) -> None:
        """The device rebooted (or its event service restarted): every pull point is gone."""
        for point in self.pull_points.values():
            point.wake.set()
        self.pull_points.clear()

    def raise_alarm(self, kind: str, active: bool, now: datetime, source: str | None = None) -> int:
        """Set an alarm input; every live pull point receives the change. Returns how many."""
        if kind not in ALARM_TOPICS:
            raise KeyError(kind)
        topic, source_name, data_name = ALARM_TOPICS[kind]
        src = source or self._sources_of(kind)[0]
        self.states[(kind, src)] = active
        message = Notification(topic, now, "Changed", ((source_name, src),), ((data_name, _bool(active)),))
        points = self.live(now)
        for point in points.values():
            point.push(message)
        return len(points)

    def _sources_of(self, kind: str) -> tuple[str, ...]:
        if kind == "storage_failure":
            return ("Storage_1",)
        if kind in ("motion", "tamper"):
            return tuple(f"VSC_{s}" for s in self.sources)
        return self.sources


def _bool(value: bool) -> str:
    return "true" if value else "false"


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> timedelta:
    value = text.strip()
    match = _DURATION.match(value)
    if not match or value in ("P", "PT"):
        raise ValueError(f"not an xs:duration: {text!r}")
    days, hours, minutes, seconds = match.groups()
    return timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
    )


def parse_termination(text: str, now: datetime) -> datetime:
    """WS-BaseNotification's AbsoluteOrRelativeTimeType: a duration (PT60S) or a dateTime."""
    try:
        return now + parse_duration(text)
    except ValueError:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
