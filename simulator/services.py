"""The ONVIF operations a simulated device answers: Device, Media (ver10), Media2 (ver20),
Events (PullPoint), PTZ (ver20), Search and Recording (Profile G).

Every response is built to the ONVIF schemas (element order and namespaces matter);
tests validate them against the official WSDL/XSD files.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from simulator.device import SimDevice, StreamProfile
from simulator.events import (
    MAX_MESSAGE_LIMIT,
    Notification,
    PullPoint,
    PullPointGone,
    parse_duration,
    parse_termination,
)
from simulator.ptz import PAN_TILT_SPACE, ZOOM_SPACE, PtzHead
from simulator.recordings import Recording, RecordingIndex, Search
from simulator.soap import NS, SoapFault, action_not_supported

TDS, TRT, TR2, TT = NS["tds"], NS["trt"], NS["tr2"], NS["tt"]
TEV, WSNT, WSA = NS["tev"], NS["wsnt"], NS["wsa"]
TSE, TRC, TPTZ = NS["tse"], NS["trc"], NS["tptz"]
NSMAP = {"tds": TDS, "trt": TRT, "tr2": TR2, "tt": TT, "tse": TSE, "trc": TRC, "tptz": TPTZ}
EVENT_NSMAP = {"tev": TEV, "wsnt": WSNT, "wsa": WSA, "tt": TT, "tns1": NS["tns1"]}
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"

# Operations a device answers before authentication (ONVIF Core, PRE_AUTH class).
PRE_AUTH = frozenset(
    {
        etree.QName(TDS, "GetSystemDateAndTime"),
        etree.QName(TDS, "GetServices"),
        etree.QName(TDS, "GetCapabilities"),
        etree.QName(TDS, "GetServiceCapabilities"),
    }
)

SERVICE_PATHS = {
    TDS: "/onvif/device_service",
    TRT: "/onvif/media_service",
    TR2: "/onvif/media2_service",
    TEV: "/onvif/event_service",
    TSE: "/onvif/search_service",
    TRC: "/onvif/recording_service",
    TPTZ: "/onvif/ptz_service",
}
# A pull point's own address: /onvif/Subscription?Idx=N, as many cameras write it.
SUBSCRIPTION_PATH = "/onvif/Subscription"


def _el(
    parent: etree._Element | None, ns: str, name: str, text: object | None = None, **attrs: str
) -> etree._Element:
    tag = f"{{{ns}}}{name}"
    if parent is None:
        node = etree.Element(tag, nsmap=EVENT_NSMAP if ns == TEV else NSMAP)
    else:
        node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = str(text).lower() if isinstance(text, bool) else str(text)
    for key, value in attrs.items():
        node.set(key, value)
    return node


def _date_time(parent: etree._Element, name: str, when: datetime) -> None:
    node = _el(parent, TT, name)
    t = _el(node, TT, "Time")
    _el(t, TT, "Hour", when.hour)
    _el(t, TT, "Minute", when.minute)
    _el(t, TT, "Second", when.second)
    d = _el(node, TT, "Date")
    _el(d, TT, "Year", when.year)
    _el(d, TT, "Month", when.month)
    _el(d, TT, "Day", when.day)


# --- Device service ---


def get_system_date_and_time(dev: SimDevice, _req: etree._Element) -> etree._Element:
    now = dev.now()
    resp = _el(None, TDS, "GetSystemDateAndTimeResponse")
    sdt = _el(resp, TDS, "SystemDateAndTime")
    _el(sdt, TT, "DateTimeType", "NTP")
    _el(sdt, TT, "DaylightSavings", False)
    _el(_el(sdt, TT, "TimeZone"), TT, "TZ", "CST-8")
    _date_time(sdt, "UTCDateTime", now)
    return resp


def get_device_information(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TDS, "GetDeviceInformationResponse")
    _el(resp, TDS, "Manufacturer", dev.manufacturer)
    _el(resp, TDS, "Model", dev.model)
    _el(resp, TDS, "FirmwareVersion", dev.firmware)
    _el(resp, TDS, "SerialNumber", dev.serial_number)
    _el(resp, TDS, "HardwareId", dev.hardware_id)
    return resp


def _services(dev: SimDevice) -> list[tuple[str, int, int]]:
    out = [(TDS, 2, 60), (TRT, 2, 60)]
    if dev.media2:
        out.append((TR2, 2, 60))
    if dev.events:
        out.append((TEV, 2, 60))
    if dev.ptz is not None:
        out.append((TPTZ, 2, 60))
    if dev.recordings is not None:
        out += [(TSE, 2, 42), (TRC, 2, 42)]
    return out


def get_services(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TDS, "GetServicesResponse")
    for namespace, major, minor in _services(dev):
        svc = _el(resp, TDS, "Service")
        _el(svc, TDS, "Namespace", namespace)
        _el(svc, TDS, "XAddr", dev.base_url + SERVICE_PATHS[namespace])
        version = _el(svc, TDS, "Version")
        _el(version, TT, "Major", major)
        _el(version, TT, "Minor", minor)
    return resp


def get_capabilities(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TDS, "GetCapabilitiesResponse")
    caps = _el(resp, TDS, "Capabilities")
    device = _el(caps, TT, "Device")
    _el(device, TT, "XAddr", dev.base_url + SERVICE_PATHS[TDS])
    if dev.events:
        events = _el(caps, TT, "Events")
        _el(events, TT, "XAddr", dev.base_url + SERVICE_PATHS[TEV])
        _el(events, TT, "WSSubscriptionPolicySupport", False)
        _el(events, TT, "WSPullPointSupport", True)
        _el(events, TT, "WSPausableSubscriptionManagerInterfaceSupport", False)
    media = _el(caps, TT, "Media")
    _el(media, TT, "XAddr", dev.base_url + SERVICE_PATHS[TRT])
    streaming = _el(media, TT, "StreamingCapabilities")
    _el(streaming, TT, "RTPMulticast", False)
    _el(streaming, TT, "RTP_TCP", True)
    _el(streaming, TT, "RTP_RTSP_TCP", True)
    if dev.ptz is not None:
        ptz = _el(caps, TT, "PTZ")
        _el(ptz, TT, "XAddr", dev.base_url + SERVICE_PATHS[TPTZ])
    return resp


# --- Media (ver10) ---


def _video_source_configuration(parent: etree._Element, ns: str, name: str, p: StreamProfile) -> None:
    vsc = _el(parent, ns, name, token=f"VSC_{p.source_token}")
    _el(vsc, TT, "Name", f"VSC_{p.source_token}")
    _el(vsc, TT, "UseCount", 2)
    _el(vsc, TT, "SourceToken", p.source_token)
    _el(vsc, TT, "Bounds", x="0", y="0", width="1920", height="1080")


def _encoder_v1(parent: etree._Element, ns: str, name: str, p: StreamProfile) -> None:
    vec = _el(parent, ns, name, token=f"VEC_{p.token}")
    _el(vec, TT, "Name", f"VEC_{p.token}")
    _el(vec, TT, "UseCount", 1)
    _el(vec, TT, "Encoding", p.encoding if p.encoding in ("H264", "JPEG") else "H264")
    res = _el(vec, TT, "Resolution")
    _el(res, TT, "Width", p.width)
    _el(res, TT, "Height", p.height)
    _el(vec, TT, "Quality", 4.0)
    rc = _el(vec, TT, "RateControl")
    _el(rc, TT, "FrameRateLimit", p.fps)
    _el(rc, TT, "EncodingInterval", 1)
    _el(rc, TT, "BitrateLimit", p.bitrate_kbps)
    if p.encoding == "H264":
        h264 = _el(vec, TT, "H264")
        _el(h264, TT, "GovLength", p.gop)
        _el(h264, TT, "H264Profile", "Main")
    multicast = _el(vec, TT, "Multicast")
    addr = _el(multicast, TT, "Address")
    _el(addr, TT, "Type", "IPv4")
    _el(addr, TT, "IPv4Address", "0.0.0.0")
    _el(multicast, TT, "Port", 0)
    _el(multicast, TT, "TTL", 0)
    _el(multicast, TT, "AutoStart", False)
    _el(vec, TT, "SessionTimeout", "PT60S")


def _ptz_configuration(parent: etree._Element, ns: str, name: str, head: PtzHead) -> None:
    conf = _el(parent, ns, name, token="PTZConfig_1")
    _el(conf, TT, "Name", "PTZConfig_1")
    _el(conf, TT, "UseCount", 2)
    _el(conf, TT, "NodeToken", head.node_token)
    _el(conf, TT, "DefaultAbsolutePantTiltPositionSpace", PAN_TILT_SPACE)
    _el(conf, TT, "DefaultAbsoluteZoomPositionSpace", ZOOM_SPACE)


def _profile(dev: SimDevice, req: etree._Element) -> StreamProfile:
    token = next(
        (t for ns in ("trt", "tr2", "tptz") if (t := req.findtext(f"{ns}:ProfileToken", namespaces=NS))), None
    )
    for p in dev.profiles:
        if p.token == token:
            return p
    raise SoapFault("Sender", "ter:InvalidArgVal", "The requested profile token ProfileToken does not exist")


def get_profiles(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TRT, "GetProfilesResponse")
    for p in dev.profiles:
        prof = _el(resp, TRT, "Profiles", token=p.token, fixed="true")
        _el(prof, TT, "Name", p.name)
        _video_source_configuration(prof, TT, "VideoSourceConfiguration", p)
        _encoder_v1(prof, TT, "VideoEncoderConfiguration", p)
        if dev.ptz is not None:
            _ptz_configuration(prof, TT, "PTZConfiguration", dev.ptz)
    return resp


def get_video_encoder_configurations(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TRT, "GetVideoEncoderConfigurationsResponse")
    for p in dev.profiles:
        _encoder_v1(resp, TRT, "Configurations", p)
    return resp


def _rtsp_uri(dev: SimDevice, p: StreamProfile) -> str:
    return dev.stream_uri_format.format(
        port=dev.port, token=p.token, username=dev.username, password=dev.password
    )


def get_stream_uri(dev: SimDevice, req: etree._Element) -> etree._Element:
    p = _profile(dev, req)
    resp = _el(None, TRT, "GetStreamUriResponse")
    uri = _el(resp, TRT, "MediaUri")
    _el(uri, TT, "Uri", _rtsp_uri(dev, p))
    _el(uri, TT, "InvalidAfterConnect", False)
    _el(uri, TT, "InvalidAfterReboot", False)
    _el(uri, TT, "Timeout", "PT0S")
    return resp


def get_video_sources(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TRT, "GetVideoSourcesResponse")
    for token in sorted({p.source_token for p in dev.profiles}):
        main = max((p for p in dev.profiles if p.source_token == token), key=lambda p: p.width)
        src = _el(resp, TRT, "VideoSources", token=token)
        _el(src, TT, "Framerate", float(main.fps))
        res = _el(src, TT, "Resolution")
        _el(res, TT, "Width", main.width)
        _el(res, TT, "Height", main.height)
    return resp


# --- Media2 (ver20) ---


def _encoder_v2(parent: etree._Element, ns: str, name: str, p: StreamProfile) -> None:
    attrs = {"token": f"VEC_{p.token}", "GovLength": str(p.gop)}
    vec = _el(parent, ns, name, **attrs)
    _el(vec, TT, "Name", f"VEC_{p.token}")
    _el(vec, TT, "UseCount", 1)
    _el(vec, TT, "Encoding", p.encoding)
    res = _el(vec, TT, "Resolution")
    _el(res, TT, "Width", p.width)
    _el(res, TT, "Height", p.height)
    rc = _el(vec, TT, "RateControl", ConstantBitRate="false")
    _el(rc, TT, "FrameRateLimit", float(p.fps))
    _el(rc, TT, "BitrateLimit", p.bitrate_kbps)
    _el(vec, TT, "Quality", 4.0)


def media2_get_profiles(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TR2, "GetProfilesResponse")
    for p in dev.profiles:
        prof = _el(resp, TR2, "Profiles", token=p.token, fixed="true")
        _el(prof, TR2, "Name", p.name)
        configs = _el(prof, TR2, "Configurations")
        _video_source_configuration(configs, TR2, "VideoSource", p)
        _encoder_v2(configs, TR2, "VideoEncoder", p)
        if dev.ptz is not None:
            _ptz_configuration(configs, TR2, "PTZ", dev.ptz)
    return resp


def media2_get_video_encoder_configurations(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TR2, "GetVideoEncoderConfigurationsResponse")
    for p in dev.profiles:
        _encoder_v2(resp, TR2, "Configurations", p)
    return resp


def media2_get_stream_uri(dev: SimDevice, req: etree._Element) -> etree._Element:
    p = _profile(dev, req)
    resp = _el(None, TR2, "GetStreamUriResponse")
    _el(resp, TR2, "Uri", _rtsp_uri(dev, p))
    return resp


# --- PTZ (ver20) ---


def _head(dev: SimDevice, req: etree._Element) -> PtzHead:
    if dev.ptz is None:
        raise action_not_supported("PTZ")
    _profile(dev, req)  # the profile named must exist
    return dev.ptz


def _vector(parent: etree._Element, name: str, pan: float, tilt: float, zoom: float) -> None:
    vector = _el(parent, TT, name)
    _el(vector, TT, "PanTilt", x=f"{pan:g}", y=f"{tilt:g}", space=PAN_TILT_SPACE)
    _el(vector, TT, "Zoom", x=f"{zoom:g}", space=ZOOM_SPACE)


def get_presets(dev: SimDevice, req: etree._Element) -> etree._Element:
    head = _head(dev, req)
    resp = _el(None, TPTZ, "GetPresetsResponse")
    for p in head.presets:
        preset = _el(resp, TPTZ, "Preset", token=p.token)
        _el(preset, TT, "Name", p.name)
        _vector(preset, "PTZPosition", p.pan, p.tilt, p.zoom)
    return resp


def get_status(dev: SimDevice, req: etree._Element) -> etree._Element:
    head = _head(dev, req)
    if head.dialect == "status_fault":
        raise action_not_supported("GetStatus")
    resp = _el(None, TPTZ, "GetStatusResponse")
    status = _el(resp, TPTZ, "PTZStatus")
    _vector(status, "Position", head.pan, head.tilt, head.zoom)
    moves = _el(status, TT, "MoveStatus")
    _el(moves, TT, "PanTilt", "MOVING" if head.moving else "IDLE")
    _el(moves, TT, "Zoom", "IDLE")
    _el(status, TT, "UtcTime", _utc(dev.now()))
    return resp


# --- Events (PullPoint) ---


def _utc(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pull_point(dev: SimDevice, query: Mapping[str, str]) -> PullPoint:
    try:
        return dev.event_source.get(int(query.get("Idx", "")), dev.now())
    except (ValueError, PullPointGone) as exc:
        raise SoapFault(
            "Sender", "wsrf-rw:ResourceUnknownFault", "The subscription does not exist or has expired"
        ) from exc


def _termination(text: str | None, now: datetime, default: timedelta) -> datetime:
    if not text:
        return now + default
    try:
        return parse_termination(text, now)
    except ValueError as exc:
        raise SoapFault("Sender", "ter:InvalidArgVal", f"Unacceptable termination time {text!r}") from exc


def create_pull_point_subscription(
    dev: SimDevice, req: etree._Element, _q: Mapping[str, str]
) -> etree._Element:
    now = dev.now()
    terminates = _termination(
        req.findtext("tev:InitialTerminationTime", namespaces=NS), now, timedelta(seconds=60)
    )
    if terminates <= now:
        raise SoapFault("Sender", "ter:InvalidArgVal", "InitialTerminationTime is in the past")
    point = dev.event_source.create(now, terminates - now)
    if point is None:
        raise SoapFault("Receiver", "ter:MaxPullPoints", "The device has no pull point left")
    resp = _el(None, TEV, "CreatePullPointSubscriptionResponse")
    ref = _el(resp, TEV, "SubscriptionReference")
    _el(ref, WSA, "Address", f"{dev.base_url}{SUBSCRIPTION_PATH}?Idx={point.index}")
    _el(resp, WSNT, "CurrentTime", _utc(now))
    _el(resp, WSNT, "TerminationTime", _utc(point.terminates))
    return resp


def _notification(parent: etree._Element, n: Notification) -> None:
    msg = _el(parent, WSNT, "NotificationMessage")
    _el(msg, WSNT, "Topic", n.topic, Dialect=CONCRETE_SET)
    body = _el(
        _el(msg, WSNT, "Message"), TT, "Message", UtcTime=_utc(n.utc_time), PropertyOperation=n.operation
    )
    for name, items in (("Source", n.source), ("Data", n.data)):
        node = _el(body, TT, name)
        for key, value in items:
            _el(node, TT, "SimpleItem", Name=key, Value=value)


async def pull_messages(dev: SimDevice, req: etree._Element, query: Mapping[str, str]) -> etree._Element:
    point = _pull_point(dev, query)
    try:
        wait = parse_duration(req.findtext("tev:Timeout", namespaces=NS) or "")
        limit = int(req.findtext("tev:MessageLimit", namespaces=NS) or "")
    except ValueError as exc:
        raise SoapFault("Sender", "ter:InvalidArgVal", "Timeout or MessageLimit is not valid") from exc
    if wait > dev.event_source.max_wait or limit > MAX_MESSAGE_LIMIT or limit < 1:
        # ONVIF Core: the fault tells the client the device's limits.
        detail = _el(None, TEV, "PullMessagesFaultResponse")
        _el(detail, TEV, "MaxTimeout", f"PT{int(dev.event_source.max_wait.total_seconds())}S")
        _el(detail, TEV, "MaxMessageLimit", MAX_MESSAGE_LIMIT)
        raise SoapFault(
            "Sender",
            "ter:InvalidArgVal",
            "Timeout or MessageLimit beyond the device's maximum",
            detail=detail,
        )
    if not point.queue:
        point.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(point.wake.wait(), wait.total_seconds())
        point = _pull_point(dev, query)  # it may have been removed meanwhile
    point.pulls += 1
    now = dev.now()
    if dev.event_source.pull_extends:
        point.terminates = max(point.terminates, now + point.keep_alive)  # PullMessages keeps it alive
    resp = _el(None, TEV, "PullMessagesResponse")
    _el(resp, TEV, "CurrentTime", _utc(now))
    _el(resp, TEV, "TerminationTime", _utc(point.terminates))
    for _ in range(min(limit, len(point.queue))):
        _notification(resp, point.queue.popleft())
    return resp


def renew(dev: SimDevice, req: etree._Element, query: Mapping[str, str]) -> etree._Element:
    point = _pull_point(dev, query)
    now = dev.now()
    dev.event_source.renewals += 1
    point.terminates = _termination(
        req.findtext("wsnt:TerminationTime", namespaces=NS), now, point.keep_alive
    )
    resp = etree.Element(f"{{{WSNT}}}RenewResponse", nsmap={"wsnt": WSNT})
    _el(resp, WSNT, "TerminationTime", _utc(point.terminates))
    _el(resp, WSNT, "CurrentTime", _utc(now))
    return resp


def unsubscribe(dev: SimDevice, _req: etree._Element, query: Mapping[str, str]) -> etree._Element:
    point = _pull_point(dev, query)
    dev.event_source.remove(point.index)
    return etree.Element(f"{{{WSNT}}}UnsubscribeResponse", nsmap={"wsnt": WSNT})


def set_synchronization_point(
    dev: SimDevice, _req: etree._Element, query: Mapping[str, str]
) -> etree._Element:
    """The client asks for the current state of every property again."""
    point = _pull_point(dev, query)
    fresh = dev.event_source.initial_state(dev.now())
    for message in fresh:
        point.push(message)
    return _el(None, TEV, "SetSynchronizationPointResponse")


# --- Search and Recording (Profile G) ---


def _index(dev: SimDevice) -> RecordingIndex:
    if dev.recordings is None:
        raise action_not_supported("Profile G")
    return dev.recordings


def _source(parent: etree._Element, name: str, dev: SimDevice, r: Recording) -> None:
    src = _el(parent, TT, name)
    _el(src, TT, "SourceId", f"{dev.base_url}/onvif/media_service#{r.source_token}")
    _el(src, TT, "Name", r.source_token)
    _el(src, TT, "Location", "")
    _el(src, TT, "Description", f"Channel {r.source_token} of {dev.device_id}")
    _el(src, TT, "Address", f"{dev.base_url}/onvif/device_service")


def _recording_information(parent: etree._Element, ns: str, dev: SimDevice, r: Recording) -> None:
    info = _el(parent, ns, "RecordingInformation")
    _el(info, TT, "RecordingToken", r.token)
    _source(info, "Source", dev, r)
    span = r.span(dev.now())
    if span is not None:
        _el(info, TT, "EarliestRecording", _utc(span[0]))
        _el(info, TT, "LatestRecording", _utc(span[1]))
    _el(info, TT, "Content", f"Video of {r.source_token}")
    if span is not None:
        track = _el(info, TT, "Track")
        _el(track, TT, "TrackToken", "VIDEO001")
        _el(track, TT, "TrackType", "Video")
        _el(track, TT, "Description", "Video track")
        inverted = dev.recordings is not None and dev.recordings.index_fault == "track_inverted"
        _el(track, TT, "DataFrom", _utc(span[1] if inverted else span[0]))
        _el(track, TT, "DataTo", _utc(span[0] if inverted else span[1]))
    _el(info, TT, "RecordingStatus", r.status)


def get_recording_summary(dev: SimDevice, _req: etree._Element) -> etree._Element:
    index, now = _index(dev), dev.now()
    spans = [s for s in (r.span(now) for r in index.recordings) if s is not None]
    resp = _el(None, TSE, "GetRecordingSummaryResponse")
    summary = _el(resp, TSE, "Summary")
    data_from = min((s[0] for s in spans), default=now)
    data_until = max((s[1] for s in spans), default=now)
    if index.index_fault == "summary_inverted":
        data_from, data_until = data_until, data_from
    elif index.index_fault == "tracks_outside_summary":
        data_from += (data_until - data_from) / 2
    _el(summary, TT, "DataFrom", _utc(data_from))
    _el(summary, TT, "DataUntil", _utc(data_until))
    _el(summary, TT, "NumberRecordings", len(index.recordings))
    return resp


def _start_search(
    dev: SimDevice, req: etree._Element, kind: str, find: Callable[[RecordingIndex, datetime], list[Any]]
) -> etree._Element:
    """FindRecordings and FindEvents: a search of the index, read later page by page."""
    index, now = _index(dev), dev.now()
    if len(index.live_searches(now)) >= index.max_searches:
        raise SoapFault("Receiver", "ter:ResourceProblem", "Too many searches in progress")
    try:
        keep_alive = parse_duration(req.findtext("tse:KeepAliveTime", namespaces=NS) or "")
        max_matches = int(req.findtext("tse:MaxMatches", namespaces=NS) or "0")
    except ValueError as exc:
        raise SoapFault("Sender", "ter:InvalidArgVal", "KeepAliveTime or MaxMatches is not valid") from exc
    results = find(index, now)
    index.searches_started += 1
    token = f"Search_{index.searches_started}"
    index.searches[token] = Search(token, kind, results[: max_matches or None], keep_alive, now + keep_alive)
    resp = _el(None, TSE, "FindRecordingsResponse" if kind == "recordings" else "FindEventsResponse")
    _el(resp, TSE, "SearchToken", token)
    return resp


def _search(dev: SimDevice, req: etree._Element, kind: str | None = None) -> Search:
    index = _index(dev)
    token = (req.findtext("tse:SearchToken", namespaces=NS) or "").strip()
    search = index.live_searches(dev.now()).get(token)
    if search is None or (kind is not None and search.kind != kind):
        raise SoapFault("Sender", "ter:InvalidToken", "The search token is unknown or the search has ended")
    return search


async def _next_page(
    dev: SimDevice, req: etree._Element, kind: str, response: etree._Element
) -> tuple[etree._Element, list[Any]]:
    """GetRecordingSearchResults and GetEventSearchResults: the next page of a search, with
    its state (Completed once everything has been handed out). A stuck index never completes."""
    search = _search(dev, req, kind)
    try:
        max_results = int(req.findtext("tse:MaxResults", namespaces=NS) or "0")
        wait = parse_duration(req.findtext("tse:WaitTime", namespaces=NS) or "PT0S")
    except ValueError as exc:
        raise SoapFault("Sender", "ter:InvalidArgVal", "MaxResults or WaitTime is not valid") from exc
    search.expires = dev.now() + search.keep_alive
    results = _el(response, TSE, "ResultList")
    if _index(dev).search_hangs:
        await asyncio.sleep(min(wait.total_seconds(), 5.0))
        _el(results, TT, "SearchState", "Searching")
        return results, []
    batch = list(search.results[search.delivered :][: max_results or None])
    search.delivered += len(batch)
    _el(results, TT, "SearchState", "Completed" if search.delivered >= len(search.results) else "Searching")
    return results, batch


def find_recordings(dev: SimDevice, req: etree._Element) -> etree._Element:
    scope = req.find("tse:Scope", NS)
    sources = (
        set(scope.xpath("tt:IncludedSources/tt:Token/text()", namespaces=NS)) if scope is not None else set()
    )
    tokens = set(scope.xpath("tt:IncludedRecordings/text()", namespaces=NS)) if scope is not None else set()
    sources, tokens = {t.strip() for t in sources}, {t.strip() for t in tokens}
    return _start_search(
        dev,
        req,
        "recordings",
        lambda index, _now: [
            r
            for r in index.recordings
            if (not sources or r.source_token in sources) and (not tokens or r.token in tokens)
        ],
    )


async def get_recording_search_results(
    dev: SimDevice, req: etree._Element, _q: Mapping[str, str]
) -> etree._Element:
    resp = _el(None, TSE, "GetRecordingSearchResultsResponse")
    results, batch = await _next_page(dev, req, "recordings", resp)
    for r in batch:
        _recording_information(results, TT, dev, r)
    return resp


def _parse_time(text: str | None, field: str) -> datetime:
    try:
        return parse_termination(text or "", datetime.now().astimezone())
    except ValueError as exc:
        raise SoapFault("Sender", "ter:InvalidArgVal", f"{field} is not a dateTime") from exc


def find_events(dev: SimDevice, req: etree._Element) -> etree._Element:
    """Only the RecordingHistory/Track/State events: where each track has footage or none."""
    start = _parse_time(req.findtext("tse:StartPoint", namespaces=NS), "StartPoint")
    end_text = req.findtext("tse:EndPoint", namespaces=NS)
    end = _parse_time(end_text, "EndPoint") if end_text else None
    tokens = {t.strip() for t in req.xpath("tse:Scope/tt:IncludedRecordings/text()", namespaces=NS)}
    start_state = (req.findtext("tse:IncludeStartState", namespaces=NS) or "").strip() in ("true", "1")
    return _start_search(
        dev,
        req,
        "events",
        lambda index, now: index.history(tokens, start, end or now, start_state, now),
    )


async def get_event_search_results(
    dev: SimDevice, req: etree._Element, _q: Mapping[str, str]
) -> etree._Element:
    resp = etree.Element(f"{{{TSE}}}GetEventSearchResultsResponse", nsmap={**NSMAP, **EVENT_NSMAP})
    results, batch = await _next_page(dev, req, "events", resp)
    for e in batch:
        result = _el(results, TT, "Result")
        _el(result, TT, "RecordingToken", e.recording)
        _el(result, TT, "TrackToken", "VIDEO001")
        _el(result, TT, "Time", _utc(e.at))
        event = _el(result, TT, "Event")
        _el(event, WSNT, "Topic", "tns1:RecordingHistory/Track/State", Dialect=CONCRETE_SET)
        message = _el(
            _el(event, WSNT, "Message"), TT, "Message", UtcTime=_utc(e.at), PropertyOperation="Changed"
        )
        source = _el(message, TT, "Source")
        _el(source, TT, "SimpleItem", Name="RecordingToken", Value=e.recording)
        _el(source, TT, "SimpleItem", Name="Track", Value="VIDEO001")
        data = _el(message, TT, "Data")
        _el(data, TT, "SimpleItem", Name="IsDataPresent", Value="true" if e.present else "false")
        _el(result, TT, "StartStateEvent", e.start_state)
    return resp


def get_recording_information(dev: SimDevice, req: etree._Element) -> etree._Element:
    token = (req.findtext("tse:RecordingToken", namespaces=NS) or "").strip()
    r = _index(dev).get(token)
    if r is None:
        raise SoapFault("Sender", "ter:NoRecording", "The recording token does not exist")
    resp = _el(None, TSE, "GetRecordingInformationResponse")
    _recording_information(resp, TSE, dev, r)
    return resp


def end_search(dev: SimDevice, req: etree._Element) -> etree._Element:
    search = _search(dev, req)
    index = _index(dev)
    del index.searches[search.token]
    index.searches_ended += 1
    resp = _el(None, TSE, "EndSearchResponse")
    _el(resp, TSE, "Endpoint", _utc(dev.now()))
    return resp


def get_recordings(dev: SimDevice, _req: etree._Element) -> etree._Element:
    resp = _el(None, TRC, "GetRecordingsResponse")
    for r in _index(dev).recordings:
        item = _el(resp, TRC, "RecordingItem")
        _el(item, TT, "RecordingToken", r.token)
        config = _el(item, TT, "Configuration")
        _source(config, "Source", dev, r)
        _el(config, TT, "Content", f"Video of {r.source_token}")
        _el(config, TT, "MaximumRetentionTime", f"PT{int(r.max_retention.total_seconds())}S")
        tracks = _el(item, TT, "Tracks")
        track = _el(tracks, TT, "Track")
        _el(track, TT, "TrackToken", "VIDEO001")
        track_config = _el(track, TT, "Configuration")
        _el(track_config, TT, "TrackType", "Video")
        _el(track_config, TT, "Description", "Video track")
    return resp


Handler = Callable[[SimDevice, etree._Element], etree._Element]
EventHandler = Callable[
    [SimDevice, etree._Element, Mapping[str, str]], etree._Element | Awaitable[etree._Element]
]

OPERATIONS: dict[tuple[str, etree.QName], Handler] = {
    (SERVICE_PATHS[TDS], etree.QName(TDS, "GetSystemDateAndTime")): get_system_date_and_time,
    (SERVICE_PATHS[TDS], etree.QName(TDS, "GetDeviceInformation")): get_device_information,
    (SERVICE_PATHS[TDS], etree.QName(TDS, "GetServices")): get_services,
    (SERVICE_PATHS[TDS], etree.QName(TDS, "GetCapabilities")): get_capabilities,
    (SERVICE_PATHS[TRT], etree.QName(TRT, "GetProfiles")): get_profiles,
    (SERVICE_PATHS[TRT], etree.QName(TRT, "GetVideoEncoderConfigurations")): get_video_encoder_configurations,
    (SERVICE_PATHS[TRT], etree.QName(TRT, "GetStreamUri")): get_stream_uri,
    (SERVICE_PATHS[TRT], etree.QName(TRT, "GetVideoSources")): get_video_sources,
    (SERVICE_PATHS[TR2], etree.QName(TR2, "GetProfiles")): media2_get_profiles,
    (
        SERVICE_PATHS[TR2],
        etree.QName(TR2, "GetVideoEncoderConfigurations"),
    ): media2_get_video_encoder_configurations,
    (SERVICE_PATHS[TR2], etree.QName(TR2, "GetStreamUri")): media2_get_stream_uri,
    (SERVICE_PATHS[TPTZ], etree.QName(TPTZ, "GetPresets")): get_presets,
    (SERVICE_PATHS[TPTZ], etree.QName(TPTZ, "GetStatus")): get_status,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "GetRecordingSummary")): get_recording_summary,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "FindRecordings")): find_recordings,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "GetRecordingInformation")): get_recording_information,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "EndSearch")): end_search,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "FindEvents")): find_events,
    (SERVICE_PATHS[TRC], etree.QName(TRC, "GetRecordings")): get_recordings,
}
EVENT_OPERATIONS: dict[tuple[str, etree.QName], EventHandler] = {
    (SERVICE_PATHS[TEV], etree.QName(TEV, "CreatePullPointSubscription")): create_pull_point_subscription,
    (SUBSCRIPTION_PATH, etree.QName(TEV, "PullMessages")): pull_messages,
    (SUBSCRIPTION_PATH, etree.QName(TEV, "SetSynchronizationPoint")): set_synchronization_point,
    (SUBSCRIPTION_PATH, etree.QName(WSNT, "Renew")): renew,
    (SUBSCRIPTION_PATH, etree.QName(WSNT, "Unsubscribe")): unsubscribe,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "GetRecordingSearchResults")): get_recording_search_results,
    (SERVICE_PATHS[TSE], etree.QName(TSE, "GetEventSearchResults")): get_event_search_results,
}


async def dispatch(
    dev: SimDevice,
    path: str,
    operation: etree.QName,
    body: etree._Element,
    query: Mapping[str, str] | None = None,
) -> etree._Element:
    handler = OPERATIONS.get((path, operation))
    if handler is not None and not (path == SERVICE_PATHS[TR2] and not dev.media2):
        if handler is get_services and not dev.get_services:
            raise action_not_supported(operation.localname)
        return handler(dev, body)
    event_handler = EVENT_OPERATIONS.get((path, operation))
    if event_handler is None or (path != SERVICE_PATHS[TSE] and not dev.events):
        raise action_not_supported(operation.localname)
    answer = event_handler(dev, body, query or {})
    return await answer if isinstance(answer, Awaitable) else answer
