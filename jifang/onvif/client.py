"""The client: one instance per device, with its own kept-alive connection."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Final
from urllib.parse import urlsplit

from lxml import etree

from jifang.addresses import strip_credentials
from jifang.onvif.transport import DeviceConnection, HttpError

ENV: Final = "http://www.w3.org/2003/05/soap-envelope"
WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TDS: Final = "http://www.onvif.org/ver10/device/wsdl"
TRT: Final = "http://www.onvif.org/ver10/media/wsdl"
TR2: Final = "http://www.onvif.org/ver20/media/wsdl"
TT: Final = "http://www.onvif.org/ver10/schema"
TEV: Final = "http://www.onvif.org/ver10/events/wsdl"
WSNT: Final = "http://docs.oasis-open.org/wsn/b-2"
WSA: Final = "http://www.w3.org/2005/08/addressing"
TSE: Final = "http://www.onvif.org/ver10/search/wsdl"
TRC: Final = "http://www.onvif.org/ver10/recording/wsdl"
TPTZ: Final = "http://www.onvif.org/ver20/ptz/wsdl"
NS: Final = {
    "env": ENV,
    "tds": TDS,
    "trt": TRT,
    "tr2": TR2,
    "tt": TT,
    "tev": TEV,
    "wsnt": WSNT,
    "wsa": WSA,
    "tse": TSE,
    "trc": TRC,
    "tptz": TPTZ,
}
# WS-Addressing actions of the PullPoint operations (ONVIF Core, Event handling).
ACTIONS: Final = {
    "CreatePullPointSubscription": f"{TEV}/EventPortType/CreatePullPointSubscriptionRequest",
    "PullMessages": f"{TEV}/PullPointSubscription/PullMessagesRequest",
    "Renew": "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
    "Unsubscribe": "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest",
}
DIGEST: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
NONCE_ENCODING: Final = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0#Base64Binary"
)
CONTENT_TYPE: Final = "application/soap+xml; charset=utf-8"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class OnvifError(Exception):
    """Base of what a poll can run into; ``result`` is its class in health samples."""

    result = "error"


class OnvifUnreachable(OnvifError):
    result = "unreachable"


class OnvifTimeout(OnvifError):
    result = "timeout"


class OnvifNotAuthorized(OnvifError):
    result = "auth_failure"


class OnvifFault(OnvifError):
    result = "soap_fault"

    def __init__(self, code: str, subcode: str, reason: str, max_wait_s: int | None = None) -> None:
        super().__init__(f"{code} {subcode}: {reason}")
        self.code, self.subcode, self.reason = code, subcode, reason
        # A PullMessages fault may carry the device's longest accepted wait (MaxTimeout).
        self.max_wait_s = max_wait_s


class OnvifMalformed(OnvifError):
    result = "malformed"


@dataclass(frozen=True)
class DeviceInformation:
    manufacturer: str
    model: str
    firmware_version: str
    serial_number: str
    hardware_id: str


@dataclass(frozen=True)
class Profile:
    token: str
    name: str
    encoding: str
    width: int
    height: int
    fps: float
    bitrate_kbps: int
    gop: int | None
    source_token: str | None
    # The profile carries a PTZ configuration: PTZ calls name this profile.
    ptz: bool = False


@dataclass(frozen=True)
class VideoSource:
    token: str
    fps: float
    width: int
    height: int


@dataclass(frozen=True)
class PtzVector:
    """A PTZ position in the coordinate spaces the device names (ONVIF's generic position
    spaces: pan and tilt -1..1, zoom 0..1); an axis the device does not report is None."""

    pan: float | None
    tilt: float | None
    zoom: float | None
    pan_tilt_space: str | None = None
    zoom_space: str | None = None


@dataclass(frozen=True)
class PtzPreset:
    token: str
    name: str
    position: PtzVector | None  # some devices list presets without their position


@dataclass(frozen=True)
class PtzStatus:
    position: PtzVector | None
    moving: bool  # the head is moving (MoveStatus MOVING on either axis)


@dataclass(frozen=True)
class PullPointSubscription:
    address: str  # the subscription's own endpoint, where PullMessages, Renew, Unsubscribe go
    current_time: datetime  # the device's clock
    termination_time: datetime


@dataclass(frozen=True)
class EventMessage:
    topic: str  # prefixes dropped: "RuleEngine/CellMotionDetector/Motion"
    utc_time: datetime | None
    operation: str  # Initialized, Changed, Deleted; "" when the device says nothing
    source: dict[str, str]
    data: dict[str, str]


@dataclass(frozen=True)
class PullResult:
    current_time: datetime
    termination_time: datetime
    messages: list[EventMessage]


@cache
def _clark(path: str) -> str:
    """``tt:Resolution/tt:Width`` as ``{ns}Resolution/{ns}Width``: resolved once, not per lookup."""
    steps = []
    for step in path.split("/"):
        prefix, sep, local = step.partition(":")
        steps.append(f"{{{NS[prefix]}}}{local}" if sep else step)
    return "/".join(steps)


@lru_cache(maxsize=65536)
def _route(url: str) -> tuple[str, str]:
    """(origin, request target) of a service address: parsed once per address, not per call."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", target


def _text(node: etree._Element, path: str) -> str:
    found: str | None = node.findtext(_clark(path))
    if found is None:
        raise OnvifMalformed(f"missing {path}")
    return found.strip()


def _int(node: etree._Element, path: str) -> int:
    try:
        return int(float(_text(node, path)))
    except ValueError as exc:
        raise OnvifMalformed(f"{path} is not a number") from exc


def _float(node: etree._Element, path: str) -> float:
    try:
        return float(_text(node, path))
    except ValueError as exc:
        raise OnvifMalformed(f"{path} is not a number") from exc


class OnvifClient:
    def __init__(
        self,
        device_url: str,
        username: str | None,
        password: str | None,
        timeout_s: float = 5.0,
    ) -> None:
        self.device_url = device_url
        # One kept-alive connection per device endpoint (scheme, host, port).
        self._connections: dict[str, DeviceConnection] = {}
        self.username = username
        self.password = password
        self.timeout_s = timeout_s
        # The device's clock minus ours: WS-Security timestamps are written in its time.
        self.clock_offset = timedelta(0)
        self.xaddrs: dict[str, str] = {}

    def sibling(self) -> OnvifClient:
        """Another client for the same device and credentials, on a connection of its own
        (a long poll holds its connection for as long as it waits)."""
        other = OnvifClient(self.device_url, self.username, self.password, self.timeout_s)
        other.clock_offset = self.clock_offset
        other.xaddrs = dict(self.xaddrs)
        return other

    # --- transport ---

    def _security(self) -> str:
        if self.username is None or self.password is None:
            return ""
        nonce = os.urandom(16)
        created = (datetime.now(UTC) + self.clock_offset).isoformat(timespec="milliseconds")[:-6] + "Z"
        digest = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + self.password.encode()).digest()
        ).decode()
        return (
            f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
            f"<wsse:UsernameToken><wsse:Username>{_escape(self.username)}</wsse:Username>"
            f'<wsse:Password Type="{DIGEST}">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{NONCE_ENCODING}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        )

    def envelope(
        self, body: str, *, authenticated: bool = True, addressing: tuple[str, str] | None = None
    ) -> bytes:
        """SOAP 1.2 envelope; ``addressing`` is (action, to) for the WS-Addressing headers."""
        header = self._security() if authenticated else ""
        if addressing is not None:
            action, to = addressing
            header += (
                f'<wsa:Action xmlns:wsa="{WSA}">{_escape(action)}</wsa:Action>'
                f'<wsa:To xmlns:wsa="{WSA}">{_escape(to)}</wsa:To>'
            )
        head = f"<env:Header>{header}</env:Header>" if header else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{ENV}">'
            f"{head}<env:Body>{body}</env:Body></env:Envelope>"
        ).encode()

    async def call(
        self,
        url: str,
        body: str,
        *,
        authenticated: bool = True,
        timeout_s: float | None = None,
        action: str | None = None,
    ) -> etree._Element:
        """Send one request; return the first child of the answer's Body."""
        addressing = (action, url) if action else None
        data = self.envelope(body, authenticated=authenticated, addressing=addressing)
        origin, target = _route(url)
        conn = self._connections.get(origin)
        if conn is None:
            conn = self._connections[origin] = DeviceConnection(origin)
        try:
            async with asyncio.timeout(timeout_s or self.timeout_s):
                status, payload = await conn.post(target, data, CONTENT_TYPE)
        except TimeoutError as exc:
            raise OnvifTimeout(f"no answer within {timeout_s or self.timeout_s} s") from exc
        except ConnectionError as exc:
            raise OnvifUnreachable(str(exc) or type(exc).__name__) from exc
        except HttpError as exc:
            raise OnvifMalformed(str(exc)) from exc
        try:
            root = etree.fromstring(payload, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise OnvifMalformed(f"not XML (HTTP {status})") from exc
        body_el = root.find(_clark("env:Body"))
        if root.tag != f"{{{ENV}}}Envelope" or body_el is None or len(body_el) == 0:
            raise OnvifMalformed(f"not a SOAP 1.2 envelope (HTTP {status})")
        first = body_el[0]
        if first.tag == f"{{{ENV}}}Fault":
            raise _fault(first)
        if status >= 400:
            raise OnvifMalformed(f"HTTP {status} without a SOAP fault")
        return first

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def _xaddr(self, namespace: str) -> str:
        return self.xaddrs.get(namespace) or self.device_url

    # --- Device ---

    async def get_system_date_and_time(self, *, timeout_s: float | None = None) -> datetime:
        """The device's UTC clock; also sets the offset used for WS-Security."""
        resp = await self.call(
            self.device_url,
            f'<tds:GetSystemDateAndTime xmlns:tds="{TDS}"/>',
            authenticated=False,
            timeout_s=timeout_s,
        )
        utc = resp.find(_clark("tds:SystemDateAndTime/tt:UTCDateTime"))
        if utc is None:
            raise OnvifMalformed("no UTCDateTime")
        try:
            device_now = datetime(
                _int(utc, "tt:Date/tt:Year"),
                _int(utc, "tt:Date/tt:Month"),
                _int(utc, "tt:Date/tt:Day"),
                _int(utc, "tt:Time/tt:Hour"),
                _int(utc, "tt:Time/tt:Minute"),
                _int(utc, "tt:Time/tt:Second"),
                tzinfo=UTC,
            )
        except ValueError as exc:
            raise OnvifMalformed("impossible date") from exc
        self.clock_offset = device_now - datetime.now(UTC)
        return device_now

    async def get_device_information(self, *, timeout_s: float | None = None) -> DeviceInformation:
        resp = await self.call(
            self.device_url, f'<tds:GetDeviceInformation xmlns:tds="{TDS}"/>', timeout_s=timeout_s
        )
        return DeviceInformation(
            manufacturer=_text(resp, "tds:Manufacturer"),
            model=_text(resp, "tds:Model"),
            firmware_version=_text(resp, "tds:FirmwareVersion"),
            serial_number=_text(resp, "tds:SerialNumber"),
            hardware_id=_text(resp, "tds:HardwareId"),
        )

    async def get_services(self, *, timeout_s: float | None = None) -> dict[str, str]:
        """Service XAddrs by namespace (GetServices; GetCapabilities on old devices)."""
        try:
            resp = await self.call(
                self.device_url,
                f'<tds:GetServices xmlns:tds="{TDS}">'
                "<tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
                timeout_s=timeout_s,
            )
            found = {
                _text(s, "tds:Namespace"): _text(s, "tds:XAddr") for s in resp.findall(_clark("tds:Service"))
            }
        except OnvifFault:
            found = {}
        if not found:
            resp = await self.call(
                self.device_url,
                f'<tds:GetCapabilities xmlns:tds="{TDS}">'
                "<tds:Category>All</tds:Category></tds:GetCapabilities>",
                timeout_s=timeout_s,
            )
            caps = resp.find("tds:Capabilities", NS)
            if caps is None:
                raise OnvifMalformed("no Capabilities")
            for name, ns in (("Device", TDS), ("Media", TRT), ("Events", TEV), ("PTZ", TPTZ)):
                xaddr = caps.findtext(f"tt:{name}/tt:XAddr", namespaces=NS)
                if xaddr:
                    found[ns] = xaddr.strip()
        self.xaddrs = found
        return found

    @property
    def has_media2(self) -> bool:
        return TR2 in self.xaddrs

    # --- Media ---

    async def get_profiles(self, *, timeout_s: float | None = None) -> list[Profile]:
        """Media2 where the device offers it, Media1 otherwise."""
        if self.has_media2:
            resp = await self.call(
                self.xaddrs[TR2],
                f'<tr2:GetProfiles xmlns:tr2="{TR2}"><tr2:Type>All</tr2:Type></tr2:GetProfiles>',
                timeout_s=timeout_s,
            )
            return [_profile2(p) for p in resp.findall(_clark("tr2:Profiles"))]
        resp = await self.call(self._xaddr(TRT), f'<trt:GetProfiles xmlns:trt="{TRT}"/>', timeout_s=timeout_s)
        return [_profile1(p) for p in resp.findall(_clark("trt:Profiles"))]

    async def get_stream_uri(self, profile_token: str, *, timeout_s: float | None = None) -> str:
        token = _escape(profile_token)
        if self.has_media2:
            resp = await self.call(
                self.xaddrs[TR2],
                f'<tr2:GetStreamUri xmlns:tr2="{TR2}"><tr2:Protocol>RTSP</tr2:Protocol>'
                f"<tr2:ProfileToken>{token}</tr2:ProfileToken></tr2:GetStreamUri>",
                timeout_s=timeout_s,
            )
            return strip_credentials(_text(resp, "tr2:Uri"))
        resp = await self.call(
            self._xaddr(TRT),
            f'<trt:GetStreamUri xmlns:trt="{TRT}" xmlns:tt="{TT}"><trt:StreamSetup>'
            "<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport>"
            f"</trt:StreamSetup><trt:ProfileToken>{token}</trt:ProfileToken></trt:GetStreamUri>",
            timeout_s=timeout_s,
        )
        return strip_credentials(_text(resp, "trt:MediaUri/tt:Uri"))

    async def get_video_sources(self, *, timeout_s: float | None = None) -> list[VideoSource]:
        resp = await self.call(
            self._xaddr(TRT), f'<trt:GetVideoSources xmlns:trt="{TRT}"/>', timeout_s=timeout_s
        )
        return [
            VideoSource(
                token=s.get("token") or "",
                fps=_float(s, "tt:Framerate"),
                width=_int(s, "tt:Resolution/tt:Width"),
                height=_int(s, "tt:Resolution/tt:Height"),
            )
            for s in resp.findall(_clark("trt:VideoSources"))
        ]

    # --- PTZ (ver20) ---

    @property
    def has_ptz(self) -> bool:
        return TPTZ in self.xaddrs

    async def get_presets(self, profile_token: str, *, timeout_s: float | None = None) -> list[PtzPreset]:
        resp = await self.call(
            self.xaddrs[TPTZ],
            f'<tptz:GetPresets xmlns:tptz="{TPTZ}"><tptz:ProfileToken>{_escape(profile_token)}'
            "</tptz:ProfileToken></tptz:GetPresets>",
            timeout_s=timeout_s,
        )
        return [
            PtzPreset(
                token=p.get("token") or "",
                name=(p.findtext(_clark("tt:Name")) or "").strip(),
                position=_ptz_vector(p.find(_clark("tt:PTZPosition"))),
            )
            for p in resp.findall(_clark("tptz:Preset"))
        ]

    async def get_ptz_status(self, profile_token: str, *, timeout_s: float | None = None) -> PtzStatus:
        resp = await self.call(
            self.xaddrs[TPTZ],
            f'<tptz:GetStatus xmlns:tptz="{TPTZ}"><tptz:ProfileToken>{_escape(profile_token)}'
            "</tptz:ProfileToken></tptz:GetStatus>",
            timeout_s=timeout_s,
        )
        status = resp.find(_clark("tptz:PTZStatus"))
        if status is None:
            raise OnvifMalformed("no PTZStatus")
        moving = status.find(_clark("tt:MoveStatus"))
        return PtzStatus(
            position=_ptz_vector(status.find(_clark("tt:Position"))),
            moving=moving is not None
            and any((m.text or "").strip() == "MOVING" for m in moving.iterfind(_clark("tt:*"))),
        )

    # --- Events (PullPoint) ---

    @property
    def has_events(self) -> bool:
        return TEV in self.xaddrs

    async def create_pull_point(self, keep_alive_s: int) -> PullPointSubscription:
        """A PullPoint subscription with a relative termination time (kept alive by pulls)."""
        url = self.xaddrs[TEV]
        resp = await self.call(
            url,
            f'<tev:CreatePullPointSubscription xmlns:tev="{TEV}"><tev:InitialTerminationTime>'
            f"PT{keep_alive_s}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>",
            action=ACTIONS["CreatePullPointSubscription"],
        )
        return PullPointSubscription(
            address=_text(resp, "tev:SubscriptionReference/wsa:Address"),
            current_time=_datetime(_text(resp, "wsnt:CurrentTime")),
            termination_time=_datetime(_text(resp, "wsnt:TerminationTime")),
        )

    async def pull_messages(self, address: str, wait_s: int, limit: int) -> PullResult:
        """Long-poll: the device answers when messages arrive or after ``wait_s``."""
        resp = await self.call(
            address,
            f'<tev:PullMessages xmlns:tev="{TEV}"><tev:Timeout>PT{wait_s}S</tev:Timeout>'
            f"<tev:MessageLimit>{limit}</tev:MessageLimit></tev:PullMessages>",
            action=ACTIONS["PullMessages"],
            timeout_s=wait_s + self.timeout_s,
        )
        return PullResult(
            current_time=_datetime(_text(resp, "tev:CurrentTime")),
            termination_time=_datetime(_text(resp, "tev:TerminationTime")),
            messages=[_event_message(m) for m in resp.findall(_clark("wsnt:NotificationMessage"))],
        )

    async def renew(self, address: str, keep_alive_s: int) -> datetime:
        resp = await self.call(
            address,
            f'<wsnt:Renew xmlns:wsnt="{WSNT}"><wsnt:TerminationTime>PT{keep_alive_s}S'
            "</wsnt:TerminationTime></wsnt:Renew>",
            action=ACTIONS["Renew"],
        )
        return _datetime(_text(resp, "wsnt:TerminationTime"))

    async def unsubscribe(self, address: str) -> None:
        await self.call(address, f'<wsnt:Unsubscribe xmlns:wsnt="{WSNT}"/>', action=ACTIONS["Unsubscribe"])


def _datetime(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise OnvifMalformed(f"not a dateTime: {text[:40]!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _items(node: etree._Element | None) -> dict[str, str]:
    if node is None:
        return {}
    return {i.get("Name") or "": i.get("Value") or "" for i in node.iterfind(_clark("tt:SimpleItem"))}


def _event_message(m: etree._Element) -> EventMessage:
    topic = " ".join((m.findtext(_clark("wsnt:Topic")) or "").split())
    body = m.find(_clark("wsnt:Message/tt:Message"))
    if body is None:
        raise OnvifMalformed("a notification without tt:Message")
    stamp = body.get("UtcTime")
    return EventMessage(
        # Prefixes are the device's choice (tns1:, ns0:...): the path below them is what counts.
        topic="/".join(step.rsplit(":", 1)[-1] for step in topic.split("/")),
        utc_time=_datetime(stamp) if stamp else None,
        operation=body.get("PropertyOperation") or "",
        source=_items(body.find(_clark("tt:Source"))),
        data=_items(body.find(_clark("tt:Data"))),
    )


def _axis(node: etree._Element | None, attribute: str) -> float | None:
    if node is None:
        return None
    value = node.get(attribute)
    if value is None:
        raise OnvifMalformed(f"a PTZ vector without its {attribute}")
    try:
        return float(value)
    except ValueError as exc:
        raise OnvifMalformed(f"PTZ {attribute} is not a number") from exc


def _ptz_vector(node: etree._Element | None) -> PtzVector | None:
    """A tt:PTZVector (a preset's PTZPosition, a status's Position); None if absent or empty."""
    if node is None:
        return None
    pan_tilt = node.find(_clark("tt:PanTilt"))
    zoom = node.find(_clark("tt:Zoom"))
    if pan_tilt is None and zoom is None:
        return None
    return PtzVector(
        pan=_axis(pan_tilt, "x"),
        tilt=_axis(pan_tilt, "y"),
        zoom=_axis(zoom, "x"),
        pan_tilt_space=pan_tilt.get("space") if pan_tilt is not None else None,
        zoom_space=zoom.get("space") if zoom is not None else None,
    )


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fault(node: etree._Element) -> OnvifError:
    code = (node.findtext("env:Code/env:Value", namespaces=NS) or "").split(":")[-1]
    sub = node.findtext("env:Code/env:Subcode/env:Value", namespaces=NS) or ""
    reason = node.findtext("env:Reason/env:Text", namespaces=NS) or ""
    if sub.split(":")[-1] in ("NotAuthorized", "FailedAuthentication", "InvalidSecurity"):
        return OnvifNotAuthorized(reason or "not authorized")
    max_timeout = node.findtext(
        f"env:Detail/{{{TEV}}}PullMessagesFaultResponse/{{{TEV}}}MaxTimeout", namespaces=NS
    )
    max_wait_s = None
    if max_timeout:
        with contextlib.suppress(ValueError):  # an unreadable limit is no limit
            max_wait_s = int(_seconds(max_timeout))
    return OnvifFault(code, sub, reason, max_wait_s)


def _seconds(duration: str) -> float:
    """An xs:duration of days, hours, minutes and seconds (PT60S, PT1M, P1DT2H)."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", duration.strip())
    if not match or duration.strip() in ("P", "PT"):
        raise ValueError(duration)
    d, h, m, sec = match.groups()
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(m or 0) * 60 + float(sec or 0)


def _profile(p: etree._Element, name: str, encoder: str, source: str, gov: str | None, ptz: str) -> Profile:
    """A profile from Media (ver10) or Media2 (ver20): the same encoder types, other places."""
    vec = p.find(_clark(encoder))
    if vec is None:
        raise OnvifMalformed("profile without a video encoder")
    gop = vec.get("GovLength") if gov is None else vec.findtext(_clark(gov))
    return Profile(
        token=p.get("token") or "",
        name=_text(p, name),
        encoding=_text(vec, "tt:Encoding"),
        width=_int(vec, "tt:Resolution/tt:Width"),
        height=_int(vec, "tt:Resolution/tt:Height"),
        fps=_float(vec, "tt:RateControl/tt:FrameRateLimit"),
        bitrate_kbps=_int(vec, "tt:RateControl/tt:BitrateLimit"),
        gop=int(gop) if gop else None,
        source_token=p.findtext(_clark(source)),
        ptz=p.find(_clark(ptz)) is not None,
    )


def _profile1(p: etree._Element) -> Profile:
    return _profile(
        p,
        "tt:Name",
        "tt:VideoEncoderConfiguration",
        "tt:VideoSourceConfiguration/tt:SourceToken",
        "tt:H264/tt:GovLength",
        "tt:PTZConfiguration",
    )


def _profile2(p: etree._Element) -> Profile:
    # Media2 carries the GOP as the encoder's GovLength attribute.
    return _profile(
        p,
        "tr2:Name",
        "tr2:Configurations/tr2:VideoEncoder",
        "tr2:Configurations/tr2:VideoSource/tt:SourceToken",
        None,
        "tr2:Configurations/tr2:PTZ",
    )
