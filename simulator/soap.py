"""SOAP 1.2 envelopes, WS-Security UsernameToken digest verification, and faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "wsrf-rw": "http://docs.oasis-open.org/wsrf/rw-2",
    "tns1": "http://www.onvif.org/ver10/topics",
    "tse": "http://www.onvif.org/ver10/search/wsdl",
    "trc": "http://www.onvif.org/ver10/recording/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
}
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
# How far a request's Created may be from the device's own clock.
CREATED_WINDOW = timedelta(minutes=5)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


class SoapFault(Exception):
    """A SOAP 1.2 fault: code Sender or Receiver, an ONVIF subcode, a reason."""

    def __init__(
        self,
        code: str,
        subcode: str,
        reason: str,
        http_status: int | None = None,
        detail: etree._Element | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.http_status = http_status or (400 if code == "Sender" else 500)
        self.detail = detail  # the fault's env:Detail content, if any


def not_authorized() -> SoapFault:
    return SoapFault("Sender", "ter:NotAuthorized", "Sender not Authorized")


def action_not_supported(name: str) -> SoapFault:
    return SoapFault("Receiver", "ter:ActionNotSupported", f"Optional Action {name} Not Implemented")


@dataclass(frozen=True)
class Request:
    operation: etree.QName
    body: etree._Element
    username: str | None
    password_digest: str | None
    nonce: bytes | None
    created: str | None


def parse_request(data: bytes) -> Request:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Sender", "ter:WellFormed", "Well-formed Error") from exc
    if root.tag != f"{{{NS['env']}}}Envelope":
        raise SoapFault("Sender", "ter:InvalidArgVal", "Not a SOAP 1.2 envelope")
    body = root.find("env:Body", NS)
    if body is None or len(body) == 0:
        raise SoapFault("Sender", "ter:InvalidArgVal", "Empty SOAP body")
    operation = body[0]
    token = root.find("env:Header/wsse:Security/wsse:UsernameToken", NS)
    username = digest = created = None
    nonce = None
    if token is not None:
        username = token.findtext("wsse:Username", namespaces=NS)
        password = token.find("wsse:Password", NS)
        if password is not None and password.get("Type", PASSWORD_DIGEST) == PASSWORD_DIGEST:
            digest = (password.text or "").strip()
        nonce_text = token.findtext("wsse:Nonce", namespaces=NS)
        nonce = base64.b64decode(nonce_text) if nonce_text else None
        created = token.findtext("wsu:Created", namespaces=NS)
    return Request(etree.QName(operation), operation, username, digest, nonce, created)


def password_digest(nonce: bytes, created: str, password: str) -> str:
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def _parse_created(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    created = datetime.fromisoformat(text)
    return created if created.tzinfo else created.replace(tzinfo=UTC)


class NonceCache:
    """Nonces seen recently: a replayed UsernameToken is refused."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._seen: OrderedDict[bytes, None] = OrderedDict()

    def add(self, nonce: bytes) -> bool:
        if nonce in self._seen:
            return False
        self._seen[nonce] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def verify_username_token(
    req: Request, username: str, password: str, device_now: datetime, nonces: NonceCache
) -> None:
    """WS-Security UsernameToken with PasswordDigest, checked as a device does."""
    if not (req.username and req.password_digest and req.nonce and req.created):
        raise not_authorized()
    if not hmac.compare_digest(req.username, username):
        raise not_authorized()
    expected = password_digest(req.nonce, req.created, password)
    if not hmac.compare_digest(expected, req.password_digest):
        raise not_authorized()
    try:
        created = _parse_created(req.created)
    except ValueError as exc:
        raise not_authorized() from exc
    if abs(created - device_now) > CREATED_WINDOW:
        raise not_authorized()
    if not nonces.add(req.nonce):
        raise not_authorized()


def envelope(body: etree._Element) -> bytes:
    env = etree.Element(f"{{{NS['env']}}}Envelope", nsmap={"env": NS["env"]})
    etree.SubElement(env, f"{{{NS['env']}}}Body").append(body)
    data: bytes = etree.tostring(env, xml_declaration=True, encoding="UTF-8")
    return data


def fault_envelope(fault: SoapFault) -> bytes:
    env_ns = NS["env"]
    nsmap = {"env": env_ns, "ter": NS["ter"], "wsrf-rw": NS["wsrf-rw"]}
    f = etree.Element(f"{{{env_ns}}}Fault", nsmap=nsmap)
    code = etree.SubElement(f, f"{{{env_ns}}}Code")
    etree.SubElement(code, f"{{{env_ns}}}Value").text = f"env:{fault.code}"
    sub = etree.SubElement(code, f"{{{env_ns}}}Subcode")
    etree.SubElement(sub, f"{{{env_ns}}}Value").text = fault.subcode
    reason = etree.SubElement(f, f"{{{env_ns}}}Reason")
    text = etree.SubElement(reason, f"{{{env_ns}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    text.text = fault.reason
    if fault.detail is not None:
        etree.SubElement(f, f"{{{env_ns}}}Detail").append(fault.detail)
    return envelope(f)
