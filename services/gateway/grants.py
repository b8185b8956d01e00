"""Grants: a signed, single-camera, short-lived permission to read one path on the relay, bound
to what the use register holds of the call-up (live, or a playback's range) and to the client
that asked for it (its address, or a session key only that client was given).

The relay (MediaMTX) asks the gateway about every read through its HTTP authentication hook;
:mod:`services.gateway.relay` checks the grant against the request. Camera credentials never
leave the platform: the relay pulls the camera, the officer's client reads the relay.

Keys: grants are signed with ``GATEWAY_GRANT_KEY``; during a rotation the previous key
(``GATEWAY_GRANT_PREVIOUS_KEY``) still verifies, so a grant handed out just before the change
plays out its few minutes, and nothing is ever signed with it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

import jwt

AUDIENCE = "jifang-relay"
# How a grant is bound to the client that asked for it: the address the gateway saw it call
# from, or a session key handed to it alone (behind NAT, or when it reaches the relay by
# another way than the gateway, the relay sees another address).
Binding = Literal["address", "session_key"]


@dataclass(frozen=True)
class Grant:
    grant_id: uuid.UUID
    token: str
    path: str
    action: str  # read (live) | playback
    expires_at: dt.datetime
    stream_url: str
    binding: Binding
    # Handed out once, with the grant; only its hash is in the token.
    session_key: str | None = None


@dataclass(frozen=True)
class GrantClaims:
    """A grant whose signature, audience and expiry hold: what it allows."""

    grant_id: uuid.UUID
    path: str
    action: str
    expires_at: dt.datetime
    range_from: dt.datetime | None
    range_to: dt.datetime | None
    client_address: str | None
    session_key_hash: str | None

    def bound_to(self, address: str, session_key: str | None) -> bool:
        """The reader is the client the grant was handed to: by its session key when the grant
        was bound to one, else by its address."""
        if self.session_key_hash is not None:
            return session_key is not None and hmac.compare_digest(
                key_hash(session_key), self.session_key_hash
            )
        return self.client_address is not None and normalized_address(address) == self.client_address


def key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def normalized_address(address: str | None) -> str | None:
    """An IP address as one text whatever way it was written (an IPv4 address mapped into IPv6,
    as a dual-stack listener reports it, is the IPv4 address); anything else is none."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class GrantSigner:
    def __init__(
        self, key: bytes, lifetime_s: int, relay_url: str, previous_key: bytes | None = None
    ) -> None:
        self._key = key
        # Verifies only: the grants signed before a rotation, for their remaining minutes.
        self._keys = (key,) if previous_key is None else (key, previous_key)
        self.lifetime = dt.timedelta(seconds=lifetime_s)
        self.relay_url = relay_url.rstrip("/")

    @staticmethod
    def path_of(camera_id: uuid.UUID) -> str:
        return f"cam/{camera_id}"

    def issue(
        self,
        camera_id: uuid.UUID,
        officer: str,
        mode: str,
        range_from: dt.datetime | None = None,
        range_to: dt.datetime | None = None,
        grant_id: uuid.UUID | None = None,
        *,
        client_address: str | None = None,
        binding: Binding = "address",
    ) -> Grant:
        now = dt.datetime.now(dt.UTC)
        grant_id = grant_id or uuid.uuid4()
        action = "playback" if mode == "playback" else "read"
        path = self.path_of(camera_id)
        claims: dict[str, object] = {
            "jti": str(grant_id),
            "sub": officer,
            "aud": AUDIENCE,
            "path": path,
            "act": action,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        if range_from and range_to:
            claims["from"], claims["to"] = range_from.isoformat(), range_to.isoformat()
        session_key = None
        if binding == "session_key":
            session_key = secrets.token_urlsafe(32)
            claims["skh"] = key_hash(session_key)
        else:
            # No address the gateway could read: a grant bound to no address admits no reader.
            claims["cip"] = normalized_address(client_address)
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return Grant(
            grant_id,
            token,
            path,
            action,
            now + self.lifetime,
            f"{self.relay_url}/{path}",
            binding,
            session_key,
        )

    def verify(self, token: str) -> GrantClaims | None:
        """The grant, if it is one: signed with the grant key (or, during a rotation, the
        previous one), for the relay, unexpired, with every claim a grant has."""
        if not token.isascii():
            return None  # a grant is a JWT, ASCII throughout: anything else is none
        for key in self._keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["HS256"],
                    audience=AUDIENCE,
                    options={"require": ["exp", "jti", "aud"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError:
                return None
            return _claims(claims)
        return None


def _claims(claims: dict[str, object]) -> GrantClaims | None:
    try:
        range_from, range_to = _instant(claims.get("from")), _instant(claims.get("to"))
        exp = claims["exp"]
        if not isinstance(exp, int):
            raise ValueError("exp is a number of seconds")
        return GrantClaims(
            grant_id=uuid.UUID(str(claims["jti"])),
            path=str(claims["path"]),
            action=str(claims["act"]),
            expires_at=dt.datetime.fromtimestamp(exp, dt.UTC),
            range_from=range_from,
            range_to=range_to,
            client_address=_text(claims.get("cip")),
            session_key_hash=_text(claims.get("skh")),
        )
    except (KeyError, ValueError):
        return None  # signed by us, yet not a grant as this gateway issues them


def _instant(value: object) -> dt.datetime | None:
    if value is None:
        return None
    instant = dt.datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        raise ValueError("a grant's range carries its offset")
    return instant


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
