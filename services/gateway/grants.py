"""Grants: a signed, single-camera, short-lived permission to read one path on the relay.

The relay (MediaMTX) asks the gateway about every read through its HTTP authentication hook;
the gateway checks the grant's signature, expiry, path and action. Camera credentials never
leave the platform: the relay pulls the camera, the officer's client reads the relay."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt

AUDIENCE = "jifang-relay"


@dataclass(frozen=True)
class Grant:
    grant_id: uuid.UUID
    token: str
    path: str
    action: str  # read (live) | playback
    expires_at: dt.datetime
    stream_url: str


class GrantSigner:
    def __init__(self, key: bytes, lifetime_s: int, relay_url: str) -> None:
        self._key = key
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
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return Grant(grant_id, token, path, action, now + self.lifetime, f"{self.relay_url}/{path}")

    def allows(self, token: str, path: str, action: str) -> bool:
        """A valid, unexpired grant for exactly this path and action."""
        if not token.isascii():
            return False  # a grant is a JWT, ASCII throughout: anything else is none
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=AUDIENCE)
        except jwt.PyJWTError:
            return False
        return bool(claims.get("path") == path.strip("/") and claims.get("act") == action)
