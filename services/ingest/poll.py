"""One poll of one device: the ONVIF calls in order, each with its own timeout, timed and
classified. The first failure ends the poll (the device is not answering as it should).

A camera with a registered PTZ preset that offers the PTZ service is then asked where its
preset points and where its head points (GetPresets, GetStatus). Those calls are extras: a
fault, a timeout or a preset the device does not know is timed and recorded, but the poll's
other results stand and the position is simply not judged this time."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from jifang.onvif import DeviceInformation, OnvifClient, OnvifError, Profile, VideoSource
from services.ingest.state import PollOutcome, PtzReading, RaisedAlarm

T = TypeVar("T")

# Results that mean the device did not answer at all (as opposed to answering wrongly).
UNANSWERED = frozenset({"unreachable", "timeout"})


@dataclass(frozen=True)
class CallTiming:
    operation: str
    latency_ms: float
    result: str
    detail: str = ""


@dataclass
class PollReport:
    at: datetime
    calls: list[CallTiming] = field(default_factory=list)
    result: str = "ok"
    info: DeviceInformation | None = None
    profiles: tuple[Profile, ...] | None = None
    stream_uris: dict[str, str] = field(default_factory=dict)
    video_sources: tuple[VideoSource, ...] | None = None
    clock_drift_s: float | None = None
    media2: bool = False
    ptz: PtzReading | None = None

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    @property
    def reachable(self) -> bool:
        return self.result not in UNANSWERED

    def outcome(self, scene_change: RaisedAlarm | None = None) -> PollOutcome:
        return PollOutcome(
            at=self.at,
            ok=self.ok,
            result=self.result,
            serial_number=self.info.serial_number if self.info else None,
            profiles=self.profiles,
            video_sources=self.video_sources,
            clock_drift_s=self.clock_drift_s,
            ptz=self.ptz,
            scene_change=scene_change,
        )


class _Stop(Exception):
    pass


@dataclass(frozen=True)
class CallTimeouts:
    """Per-call timeouts (s): a device that hangs on one call costs at most this much."""

    clock: float = 3.0
    info: float = 5.0
    services: float = 5.0
    profiles: float = 8.0
    stream_uri: float = 5.0
    video_sources: float = 5.0
    ptz: float = 5.0


async def poll_device(
    client: OnvifClient,
    *,
    refresh_services: bool,
    timeouts: CallTimeouts | None = None,
    ptz_preset: str | None = None,
) -> PollReport:
    t = timeouts or CallTimeouts()
    report = PollReport(at=datetime.now(UTC))

    async def timed(operation: str, call: Awaitable[T]) -> T:
        # ``call`` is a coroutine: it runs, and is timed, only when awaited here.
        started = time.perf_counter()
        try:
            value = await call
        except OnvifError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            report.calls.append(CallTiming(operation, elapsed, exc.result, str(exc)[:200]))
            report.result = exc.result
            raise _Stop from exc
        report.calls.append(CallTiming(operation, (time.perf_counter() - started) * 1000, "ok"))
        return value

    try:
        await timed("GetSystemDateAndTime", client.get_system_date_and_time(timeout_s=t.clock))
        report.clock_drift_s = client.clock_offset.total_seconds()
        report.info = await timed("GetDeviceInformation", client.get_device_information(timeout_s=t.info))
        if refresh_services or not client.xaddrs:
            await timed("GetServices", client.get_services(timeout_s=t.services))
        report.media2 = client.has_media2
        profiles = await timed("GetProfiles", client.get_profiles(timeout_s=t.profiles))
        report.profiles = tuple(profiles)
        for p in profiles:
            report.stream_uris[p.token] = await timed(
                "GetStreamUri", client.get_stream_uri(p.token, timeout_s=t.stream_uri)
            )
        report.video_sources = tuple(
            await timed("GetVideoSources", client.get_video_sources(timeout_s=t.video_sources))
        )
    except _Stop:
        return report
    if ptz_preset and client.has_ptz and report.profiles:
        report.ptz = await _read_ptz(client, report, ptz_preset, t.ptz)
    return report


async def _read_ptz(
    client: OnvifClient, report: PollReport, preset: str, timeout_s: float
) -> PtzReading | None:
    """The registered preset's position and the head's, or None where either is not to be had."""
    # The profile that carries the PTZ configuration (the first one if none says so).
    profile = next((p for p in report.profiles or () if p.ptz), (report.profiles or ())[0])

    async def extra(operation: str, call: Awaitable[T]) -> T | None:
        started = time.perf_counter()
        try:
            value = await call
        except OnvifError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            report.calls.append(CallTiming(operation, elapsed, exc.result, str(exc)[:200]))
            return None
        report.calls.append(CallTiming(operation, (time.perf_counter() - started) * 1000, "ok"))
        return value

    presets = await extra("GetPresets", client.get_presets(profile.token, timeout_s=timeout_s))
    registered = next((p for p in presets or () if p.token == preset), None)
    if registered is None or registered.position is None:
        return None  # no presets, another set of presets, or presets without positions
    status = await extra("GetStatus", client.get_ptz_status(profile.token, timeout_s=timeout_s))
    if status is None or status.position is None:
        return None
    return PtzReading(preset, registered.position, status.position)
