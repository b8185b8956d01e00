"""Reading one recorder's own index (ONVIF Profile G) into what the retention check stores.

Everything the recorder says is checked before it is believed: a summary that ends before
it starts, a track that ends before it starts or lies outside the summary, footage in the
future: the recorder "cannot be verified", with the reason, and the run goes on. Times are
converted to platform time (the recorder's clock offset removed) so that spans measured
against our clock are not skewed by a recorder whose clock is wrong.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jifang.onvif import OnvifClient, OnvifError, OnvifMalformed, OnvifTimeout
from jifang.onvif.search import (
    DataPresence,
    RecordingInfo,
    find_recordings,
    get_recording_information,
    get_recording_summary,
    get_recordings,
    has_profile_g,
    recording_history,
)

Interval = tuple[datetime, datetime]
# Answers this far in the recorder's own future are not footage but a broken index.
FUTURE_SLACK = timedelta(minutes=10)
# Track spans may overrun the summary by this much (summaries are refreshed lazily).
SUMMARY_SLACK = timedelta(minutes=10)


class Unverifiable(Exception):
    """The recorder's answers cannot be believed (contradictory or incomplete)."""


@dataclass(frozen=True)
class ChannelReading:
    """One recording (a channel) as its recorder's index shows it, in platform time."""

    token: str
    source_name: str
    earliest: datetime | None
    latest: datetime | None
    footage: tuple[Interval, ...]  # disjoint, ordered
    status: str
    max_retention_s: float | None  # None: the Recording service did not say; 0: not limited


@dataclass
class RecorderReading:
    """A recorder's channels, or why it could not be verified (``reason``)."""

    checked_at: datetime
    channels: list[ChannelReading] = field(default_factory=list)
    reason: str | None = None
    result: str | None = None  # the error class of a failed reading, for the metrics

    @property
    def verified(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class ReadLimits:
    deadline_s: float = 60.0
    call_timeout_s: float = 10.0
    search_deadline_s: float = 30.0


async def read_recorder(
    client: OnvifClient, checked_at: datetime, window: timedelta, limits: ReadLimits | None = None
) -> RecorderReading:
    """Read the index; ``window`` is how far back gaps matter (the longest required retention).
    Never raises for what the recorder does: every failure becomes a reason."""
    limits = limits or ReadLimits()
    reading = RecorderReading(checked_at=checked_at)
    try:
        async with asyncio.timeout(limits.deadline_s):
            reading.channels = await _read(client, checked_at, window, limits)
    except TimeoutError:
        reading.reason, reading.result = (
            f"the recorder did not finish answering within {limits.deadline_s:g} s",
            "timeout",
        )
    except Unverifiable as exc:
        reading.reason, reading.result = f"contradictory answer: {exc}", "contradictory"
    except OnvifError as exc:
        reading.reason, reading.result = _describe(exc), exc.result
    return reading


def _describe(exc: OnvifError) -> str:
    what = {
        "unreachable": "the recorder is unreachable",
        "timeout": "the recorder did not answer in time",
        "auth_failure": "the recorder refused the credentials",
        "soap_fault": "the recorder answered with a fault",
        "malformed": "the recorder's answer is malformed",
    }.get(exc.result, "the recorder could not be read")
    return f"{what}: {str(exc)[:200]}"


async def _read(
    client: OnvifClient, checked_at: datetime, window: timedelta, limits: ReadLimits
) -> list[ChannelReading]:
    t = limits.call_timeout_s
    await client.get_system_date_and_time(timeout_s=t)
    await client.get_services(timeout_s=t)
    if not has_profile_g(client):
        raise _NoProfileG
    offset = client.clock_offset  # device minus platform
    device_now = checked_at + offset
    client.timeout_s = t
    summary = await get_recording_summary(client)
    if summary.number_recordings and summary.data_until < summary.data_from:
        raise Unverifiable("the summary's DataUntil is before its DataFrom")
    found = await find_recordings(client, deadline_s=limits.search_deadline_s)
    try:
        settings = {s.token: s.max_retention.total_seconds() for s in await get_recordings(client)}
    except OnvifError:
        settings = {}  # a recorder without the Recording service: the retention setting is unknown
    channels = []
    for listed in found:
        info = await get_recording_information(client, listed.token)
        if info.token != listed.token:
            raise Unverifiable(f"asked for {listed.token}, the recorder described {info.token}")
        footage = await _footage(
            client, info, summary.data_from, summary.data_until, device_now, window, limits
        )
        shifted = tuple((a - offset, b - offset) for a, b in footage)
        channels.append(
            ChannelReading(
                token=info.token,
                source_name=info.source_name,
                earliest=shifted[0][0] if shifted else None,
                latest=shifted[-1][1] if shifted else None,
                footage=shifted,
                status=info.status,
                max_retention_s=settings.get(info.token),
            )
        )
    return channels


class _NoProfileG(OnvifError):
    result = "no_profile_g"

    def __init__(self) -> None:
        super().__init__("the device offers no recording search (ONVIF Profile G)")


async def _footage(
    client: OnvifClient,
    info: RecordingInfo,
    summary_from: datetime,
    summary_until: datetime,
    device_now: datetime,
    window: timedelta,
    limits: ReadLimits,
) -> list[Interval]:
    """The video footage of one recording, in device time: the tracks' span, with the gaps
    that the recording history shows inside the window."""
    video = [tr for tr in info.tracks if tr.track_type == "Video"]
    if not video:
        return []  # no video at all: nothing is kept
    for tr in video:
        if tr.data_to < tr.data_from:
            raise Unverifiable(f"{info.token}/{tr.token}: DataTo is before DataFrom")
        if tr.data_from < summary_from - SUMMARY_SLACK or tr.data_to > summary_until + SUMMARY_SLACK:
            raise Unverifiable(f"{info.token}/{tr.token}: the track lies outside the summary")
        if tr.data_to > device_now + FUTURE_SLACK:
            raise Unverifiable(f"{info.token}/{tr.token}: footage in the future")
    start = min(tr.data_from for tr in video)
    end = max(tr.data_to for tr in video)
    since = max(start, device_now - window)
    if since >= end:
        return [(start, end)]  # all of it before the window: its gaps do not matter
    events = await recording_history(client, info.token, since, deadline_s=limits.search_deadline_s)
    tracks = {tr.token for tr in video}
    return presence_to_footage(start, since, end, [e for e in events if e.track in tracks or not e.track])


def presence_to_footage(
    start: datetime, since: datetime, end: datetime, events: Sequence[DataPresence]
) -> list[Interval]:
    """Footage from the tracks' span and the data-present transitions after ``since``.

    Before ``since`` the span is taken as continuous (gaps there are outside the window);
    the state at ``since`` is the search's start state (present if the recorder gave none).
    """
    ordered = sorted(events, key=lambda e: (e.at, not e.start_state))
    present = next((e.present for e in ordered if e.start_state), True)
    out: list[Interval] = []
    opened: datetime | None = start if present else None
    if opened is None and since > start:
        out.append((start, since))
    for e in ordered:
        if e.start_state or e.at < since or e.at > end:
            continue
        if e.present and opened is None:
            opened = e.at
        elif not e.present and opened is not None:
            if e.at > opened:
                out.append((opened, e.at))
            opened = None
    if opened is not None and end > opened:
        out.append((opened, end))
    return _merge(out)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


_TRAILING_NUMBER = re.compile(r"(\d+)\D*$")


def channel_number(reading: ChannelReading, position: int) -> int:
    """The channel a recording belongs to: the number its source or token ends with (NVRs
    name them VideoSource_3, Channel3, "Camera 03"...), else its position in the index."""
    for text in (reading.source_name, reading.token):
        m = _TRAILING_NUMBER.search(text or "")
        if m:
            return int(m.group(1))
    return position


def match_cameras(
    recorder_id: uuid.UUID,
    recorder_kind: str,
    readings: Sequence[ChannelReading],
    cameras: dict[int, uuid.UUID],
) -> dict[str, uuid.UUID | None]:
    """The registry's camera of each recording: by channel number under an NVR; a camera that
    records itself is its own channel."""
    if recorder_kind == "camera":
        return {r.token: recorder_id for r in readings}
    return {r.token: cameras.get(channel_number(r, i)) for i, r in enumerate(readings, start=1)}


__all__ = [
    "ChannelReading",
    "OnvifMalformed",
    "OnvifTimeout",
    "ReadLimits",
    "RecorderReading",
    "Unverifiable",
    "channel_number",
    "match_cameras",
    "presence_to_footage",
    "read_recorder",
]
