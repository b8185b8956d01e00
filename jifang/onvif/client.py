"""The client: one instance per device, with its own kept-alive connection."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from jifang.onvif.transport import DeviceConnection, HttpError

ENV: Final = "http://www.w3.org/2003/05/soap-envelope"
WSSE: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU: Final = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TDS: Final = "http://www.onvif.org/ver10/device/wsdl"
TRT: Final = "http://www.onvif.org/ver10/media/wsdl"
TR2: Final = "http://www.onvif.org/ver20/media/wsdl"
TT: Final = "http://www.onvif.org/ver10/schema"
NS: Final = {"env": ENV, "tds": TDS, "trt": TRT, "tr2": TR2, "tt": TT}
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

    def __init__(self, code: str, subcode: str, reason: str) -> None:
        super().__init__(f"{code} {subcode}: {reason}")
        self.code, self.subcode, self.reason = code, subcode, reason


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


@dataclass(frozen=True)
class VideoSource:
    token: str
    fps: float
    width: int
    height: int


@cache
def _clark(path: str) -> str:
    """``tt:Resolution/tt:Width`` as ``{ns}Resolution/{ns}Width``: resolved once, not per lookup."""
    steps = []
    for step in path.split("/"):
        prefix, sep, local = step.partition(":")
        steps.append(f"{{{NS[prefix]}}}{local}" if sep else step)
    return "/".join(steps)


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


def strip_credentials(uri: str) -> str:
    """Stream URIs leave the platform without any user:password part."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


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
            f'<env:Header><wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
            f"<wsse:UsernameToken><wsse:Username>{_escape(self.username)}</wsse:Username>"
            f'<wsse:Password Type="{DIGEST}">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{NONCE_ENCODING}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></env:Header>"
        )

    def envelope(self, body: str, *, authenticated: bool = True) -> bytes:
        header = self._security() if authenticated else ""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{ENV}">'
            f"{header}<env:Body>{body}</env:Body></env:Envelope>"
        ).encode()

    async def call(
        self, url: str, body: str, *, authenticated: bool = True, timeout_s: float | None = None
    ) -> etree._Element:
        """Send one request; return the first child of the answer's Body."""
        data = self.envelope(body, authenticated=authenticated)
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        conn = self._connections.get(origin)
        if conn is None:
            conn = self._connections[origin] = DeviceConnection(origin)
        try:
            async with asyncio.timeout(timeout_s or self.timeout_s):
                status, payload = await conn.post(parts.path or "/", data, CONTENT_TYPE)
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
        body_el = root.find("env:Body", NS)
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

    async def get_system_date_and_time(self) -> datetime:
        """The device's UTC clock; also sets the offset used for WS-Security."""
        resp = await self.call(
            self.device_url, f'<tds:GetSystemDateAndTime xmlns:tds="{TDS}"/>', authenticated=False
        )
        utc = resp.find("tds:SystemDateAndTime/tt:UTCDateTime", NS)
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

    async def get_device_information(self) -> DeviceInformation:
        resp = await self.call(self.device_url, f'<tds:GetDeviceInformation xmlns:tds="{TDS}"/>')
        return DeviceInformation(
            manufacturer=_text(resp, "tds:Manufacturer"),
            model=_text(resp, "tds:Model"),
            firmware_version=_text(resp, "tds:FirmwareVersion"),
            serial_number=_text(resp, "tds:SerialNumber"),
            hardware_id=_text(resp, "tds:HardwareId"),
        )

    async def get_services(self) -> dict[str, str]:
        """Service XAddrs by namespace (GetServices; GetCapabilities on old devices)."""
        try:
            resp = await self.call(
                self.device_url,
                f'<tds:GetServices xmlns:tds="{TDS}">'
                "<tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>",
            )
            found = {
                _text(s, "tds:Namespace"): _text(s, "tds:XAddr") for s in resp.findall("tds:Service", NS)
            }
        except OnvifFault:
            found = {}
        if not found:
            resp = await self.call(
                self.device_url,
                f'<tds:GetCapabilities xmlns:tds="{TDS}">'
                "<tds:Category>All</tds:Category></tds:GetCapabilities>",
            )
            caps = resp.find("tds:Capabilities", NS)
            if caps is None:
                raise OnvifMalformed("no Capabilities")
            for name, ns in (("Device", TDS), ("Media", TRT)):
                xaddr = caps.findtext(f"tt:{name}/tt:XAddr", namespaces=NS)
                if xaddr:
                    found[ns] = xaddr.strip()
        self.xaddrs = found
        return found

    @property
    def has_media2(self) -> bool:
        return TR2 in self.xaddrs

    # --- Media ---

    async def get_profiles(self) -> list[Profile]:
        """Media2 where the device offers it, Media1 otherwise."""
        if self.has_media2:
            resp = await self.call(
                self.xaddrs[TR2],
                f'<tr2:GetProfiles xmlns:tr2="{TR2}"><tr2:Type>All</tr2:Type></tr2:GetProfiles>',
            )
            return [_profile2(p) for p in resp.findall("tr2:Profiles", NS)]
        resp = await self.call(self._xaddr(TRT), f'<trt:GetProfiles xmlns:trt="{TRT}"/>')
        return [_profile1(p) for p in resp.findall("trt:Profiles", NS)]

    async def get_stream_uri(self, profile_token: str) -> str:
        token = _escape(profile_token)
        if self.has_media2:
            resp = await self.call(
                self.xaddrs[TR2],
                f'<tr2:GetStreamUri xmlns:tr2="{TR2}"><tr2:Protocol>RTSP</tr2:Protocol>'
                f"<tr2:ProfileToken>{token}</tr2:ProfileToken></tr2:GetStreamUri>",
            )
            return strip_credentials(_text(resp, "tr2:Uri"))
        resp = await self.call(
            self._xaddr(TRT),
            f'<trt:GetStreamUri xmlns:trt="{TRT}" xmlns:tt="{TT}"><trt:StreamSetup>'
            "<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport>"
            f"</trt:StreamSetup><trt:ProfileToken>{token}</trt:ProfileToken></trt:GetStreamUri>",
        )
        return strip_credentials(_text(resp, "trt:MediaUri/tt:Uri"))

    async def get_video_sources(self) -> list[VideoSource]:
        resp = await self.call(self._xaddr(TRT), f'<trt:GetVideoSources xmlns:trt="{TRT}"/>')
        return [
            VideoSource(
                token=s.get("token") or "",
                fps=_float(s, "tt:Framerate"),
                width=_int(s, "tt:Resolution/tt:Width"),
                height=_int(s, "tt:Resolution/tt:Height"),
            )
            for s in resp.findall("trt:VideoSources", NS)
        ]


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fault(node: etree._Element) -> OnvifError:
    code = (node.findtext("env:Code/env:Value", namespaces=NS) or "").split(":")[-1]
    sub = node.findtext("env:Code/env:Subcode/env:Value", namespaces=NS) or ""
    reason = node.findtext("env:Reason/env:Text", namespaces=NS) or ""
    if sub.split(":")[-1] in ("NotAuthorized", "FailedAuthentication", "InvalidSecurity"):
        return OnvifNotAuthorized(reason or "not authorized")
    return OnvifFault(code, sub, reason)


def _profile(p: etree._Element, name: str, encoder: str, source: str, gov: str | None) -> Profile:
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
    )


def _profile1(p: etree._Element) -> Profile:
    return _profile(
        p,
        "tt:Name",
        "tt:VideoEncoderConfiguration",
        "tt:VideoSourceConfiguration/tt:SourceToken",
        "tt:H264/tt:GovLength",
    )


def _profile2(p: etree._Element) -> Profile:
    # Media2 carries the GOP as the encoder's GovLength attribute.
    return _profile(
        p,
        "tr2:Name",
        "tr2:Configurations/tr2:VideoEncoder",
        "tr2:Configurations/tr2:VideoSource/tt:SourceToken",
        None,
    )
