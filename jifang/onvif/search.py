"""A recorder's own recording index (ONVIF Profile G), read with the lean client: what the
retention check needs. Searches are bounded in time and always closed with EndSearch."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from lxml import etree

from jifang.onvif.client import (
    TRC,
    TSE,
    TT,
    WSNT,
    OnvifClient,
    OnvifError,
    OnvifMalformed,
    OnvifTimeout,
    _clark,
    _datetime,
    _escape,
    _items,
    _seconds,
    _text,
)

RECORDING_HISTORY: Final = "tns1:RecordingHistory/Track/State"


@dataclass(frozen=True)
class RecordingSummary:
    data_from: datetime
    data_until: datetime
    number_recordings: int


@dataclass(frozen=True)
class Track:
    token: str
    track_type: str  # Video, Audio, Metadata
    data_from: datetime
    data_to: datetime


@dataclass(frozen=True)
class RecordingInfo:
    token: str
    source_id: str
    source_name: str
    earliest: datetime | None
    latest: datetime | None
    status: str  # Initiated, Recording, Stopped, Removing, Removed, Unknown
    tracks: tuple[Track, ...]


@dataclass(frozen=True)
class RecordingSetting:
    token: str
    source_id: str
    max_retention: timedelta


@dataclass(frozen=True)
class DataPresence:
    """RecordingHistory/Track/State: footage of a track starts (True) or stops (False)."""

    recording: str
    track: str
    at: datetime
    present: bool
    start_state: bool


def has_profile_g(client: OnvifClient) -> bool:
    return TSE in client.xaddrs and TRC in client.xaddrs


def _optional_time(node: etree._Element, path: str) -> datetime | None:
    text = node.findtext(_clark(path))
    return _datetime(text.strip()) if text else None


def _recording_info(node: etree._Element) -> RecordingInfo:
    return RecordingInfo(
        token=_text(node, "tt:RecordingToken"),
        source_id=_text(node, "tt:Source/tt:SourceId"),
        source_name=_text(node, "tt:Source/tt:Name"),
        earliest=_optional_time(node, "tt:EarliestRecording"),
        latest=_optional_time(node, "tt:LatestRecording"),
        status=_text(node, "tt:RecordingStatus"),
        tracks=tuple(
            Track(
                token=_text(t, "tt:TrackToken"),
                track_type=_text(t, "tt:TrackType"),
                data_from=_datetime(_text(t, "tt:DataFrom")),
                data_to=_datetime(_text(t, "tt:DataTo")),
            )
            for t in node.iterfind(_clark("tt:Track"))
        ),
    )


async def get_recording_summary(client: OnvifClient) -> RecordingSummary:
    resp = await client.call(client.xaddrs[TSE], f'<tse:GetRecordingSummary xmlns:tse="{TSE}"/>')
    try:
        number = int(_text(resp, "tse:Summary/tt:NumberRecordings"))
    except ValueError as exc:
        raise OnvifMalformed("NumberRecordings is not a number") from exc
    return RecordingSummary(
        data_from=_datetime(_text(resp, "tse:Summary/tt:DataFrom")),
        data_until=_datetime(_text(resp, "tse:Summary/tt:DataUntil")),
        number_recordings=number,
    )


async def get_recording_information(client: OnvifClient, token: str) -> RecordingInfo:
    resp = await client.call(
        client.xaddrs[TSE],
        f'<tse:GetRecordingInformation xmlns:tse="{TSE}"><tse:RecordingToken>{_escape(token)}'
        "</tse:RecordingToken></tse:GetRecordingInformation>",
    )
    info = resp.find(_clark("tse:RecordingInformation"))
    if info is None:
        raise OnvifMalformed("no RecordingInformation")
    return _recording_info(info)


async def get_recordings(client: OnvifClient) -> list[RecordingSetting]:
    """The recordings' configuration: the retention each is set to keep."""
    resp = await client.call(client.xaddrs[TRC], f'<trc:GetRecordings xmlns:trc="{TRC}"/>')
    out = []
    for item in resp.iterfind(_clark("trc:RecordingItem")):
        try:
            retention = timedelta(seconds=_seconds(_text(item, "tt:Configuration/tt:MaximumRetentionTime")))
        except ValueError as exc:
            raise OnvifMalformed("MaximumRetentionTime is not a duration") from exc
        out.append(
            RecordingSetting(
                token=_text(item, "tt:RecordingToken"),
                source_id=_text(item, "tt:Configuration/tt:Source/tt:SourceId"),
                max_retention=retention,
            )
        )
    return out


async def _search(
    client: OnvifClient, start: str, results_op: str, deadline_s: float, page: int
) -> list[etree._Element]:
    """Start a search, read its pages until Completed, always end it. A search that has not
    completed by the deadline is an OnvifTimeout (the recorder's index is stuck)."""
    url = client.xaddrs[TSE]
    resp = await client.call(url, start)
    token = _escape(_text(resp, "tse:SearchToken"))
    pages: list[etree._Element] = []
    deadline = time.monotonic() + deadline_s
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OnvifTimeout(f"the search did not complete within {deadline_s} s")
            wait = max(0, min(5, int(left) - 1))
            resp = await client.call(
                url,
                f'<tse:{results_op} xmlns:tse="{TSE}"><tse:SearchToken>{token}</tse:SearchToken>'
                f"<tse:MaxResults>{page}</tse:MaxResults><tse:WaitTime>PT{wait}S</tse:WaitTime>"
                f"</tse:{results_op}>",
                timeout_s=wait + client.timeout_s,
            )
            results = resp.find(_clark("tse:ResultList"))
            if results is None:
                raise OnvifMalformed("no ResultList")
            pages.append(results)
            if _text(results, "tt:SearchState") == "Completed":
                return pages
    finally:
        # Searches hold resources on the recorder: end it even when giving up.
        with contextlib.suppress(OnvifError, OSError, asyncio.CancelledError):
            await client.call(
                url,
                f'<tse:EndSearch xmlns:tse="{TSE}"><tse:SearchToken>{token}</tse:SearchToken>'
                "</tse:EndSearch>",
            )


async def find_recordings(
    client: OnvifClient, *, deadline_s: float = 30.0, page: int = 100, keep_alive_s: int = 30
) -> list[RecordingInfo]:
    pages = await _search(
        client,
        f'<tse:FindRecordings xmlns:tse="{TSE}"><tse:Scope/><tse:KeepAliveTime>PT{keep_alive_s}S'
        "</tse:KeepAliveTime></tse:FindRecordings>",
        "GetRecordingSearchResults",
        deadline_s,
        page,
    )
    return [_recording_info(r) for p in pages for r in p.iterfind(_clark("tt:RecordingInformation"))]


async def recording_history(
    client: OnvifClient,
    recording: str,
    since: datetime,
    *,
    deadline_s: float = 30.0,
    page: int = 500,
    keep_alive_s: int = 30,
) -> list[DataPresence]:
    """When a recording's tracks had footage and when not, from ``since`` until now (with the
    state at ``since``): the gaps inside the span that the tracks' DataFrom/DataTo hide."""
    pages = await _search(
        client,
        f'<tse:FindEvents xmlns:tse="{TSE}" xmlns:tt="{TT}" xmlns:wsnt="{WSNT}">'
        f"<tse:StartPoint>{since.strftime('%Y-%m-%dT%H:%M:%SZ')}</tse:StartPoint>"
        f"<tse:Scope><tt:IncludedRecordings>{_escape(recording)}</tt:IncludedRecordings></tse:Scope>"
        "<tse:SearchFilter><wsnt:TopicExpression "
        'Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" '
        f'xmlns:tns1="http://www.onvif.org/ver10/topics">{RECORDING_HISTORY}</wsnt:TopicExpression>'
        "</tse:SearchFilter><tse:IncludeStartState>true</tse:IncludeStartState>"
        f"<tse:KeepAliveTime>PT{keep_alive_s}S</tse:KeepAliveTime></tse:FindEvents>",
        "GetEventSearchResults",
        deadline_s,
        page,
    )
    out = []
    for p in pages:
        for result in p.iterfind(_clark("tt:Result")):
            message = result.find(_clark("tt:Event/wsnt:Message/tt:Message"))
            if message is None:
                raise OnvifMalformed("an event result without tt:Message")
            data = _items(message.find(_clark("tt:Data")))
            if "IsDataPresent" not in data:
                continue  # another topic, if the recorder ignored the filter
            source = _items(message.find(_clark("tt:Source")))
            out.append(
                DataPresence(
                    recording=_text(result, "tt:RecordingToken"),
                    track=source.get("Track") or _text(result, "tt:TrackToken"),
                    at=_datetime(_text(result, "tt:Time")),
                    present=data["IsDataPresent"].strip().lower() in ("true", "1"),
                    start_state=(result.findtext(_clark("tt:StartStateEvent")) or "").strip()
                    in ("true", "1"),
                )
            )
    return out
