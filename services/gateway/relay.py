"""The relay's authentication hook: MediaMTX asks the gateway before it serves a read (an RTSP
session, a request to its playback server) and serves it only on 200.

A read is served only on a grant, and only as the grant says:

- **its camera and mode**: the grant's path; a live grant serves a live read (`read`) without
  playback parameters, a playback grant serves the playback server only (`playback`);
- **its range**: a playback request names its start (RFC 3339) and how far it reaches (the
  `duration` of `/get`, seconds or a Go duration such as `1h2m3.5s`, or the `end` of
  `/list`); all of it lies inside the range the call-up registered, or it is refused. The
  hook cannot tell `/get` from `/list`: every bound the query names is checked;
- **its client**: the reader's address (MediaMTX's `ip`) is the one the call-up came from,
  or, for a grant bound to a session key, the query carries `session=<key>`;
- **its readers**: at most ``max_readers`` distinct readers per grant (below).

MediaMTX's query is parsed as strictly as it reads it, and stricter: a parameter the check
depends on given twice, a `;` (which Go's parser drops with its pair, Python's would not), a
time without its offset, a signed or exponent number: refused. Every refusal is 401 to the
relay and counted by reason (``gateway_relay_refusals_total``).

**Readers.** MediaMTX says when a read starts, never when it ends, and a read once started
runs on after the grant expires (the relay asks once per session). So a grant admits at most
``max_readers`` *distinct* readers over its lifetime, a reader being MediaMTX's session id
(one per RTSP connection: its DESCRIBE and SETUPs ask again with the same id and are the
same reader) or, for the playback server, which gives none, the reader's address (each seek
is another request from the same player). A player that reconnects is a new reader: with
the default of 2 it may do so once, then calls up again (a new grant, registered). The
readers live in PostgreSQL (:mod:`services.gateway.readers`): the relay may ask any replica.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from fractions import Fraction
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.runner import LongRunningService
from services.gateway.grants import GrantClaims, GrantSigner, normalized_address
from services.gateway.readers import GrantReaders
from services.gateway.schemas import RelayAuthRequest

# Why the hook said no: the label of gateway_relay_refusals_total.
REASONS = ("no_grant", "invalid", "query", "path", "action", "range", "address", "session_key", "readers")
# The query's parameters the decision depends on: each at most once.
_DECISIVE = ("token", "jwt", "session", "start", "duration", "end")
_PLAYBACK_PARAMETERS = ("start", "duration", "end")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))"
)
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GO_PART = r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)"
_GO_DURATION = re.compile(f"(?:{_GO_PART})+")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # micro sign
    "μs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Go's time.Duration holds at most this many nanoseconds: beyond it MediaMTX cannot play.
_MAX_DURATION_NS = 2**63 - 1


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.refusals = Counter(
            "gateway_relay_refusals_total",
            "Reads the relay asked about and the gateway refused (401), by reason: no_grant, invalid, "
            "query, path, action, range, address, session_key, readers",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:
            self.refusals.labels(reason)


class RelayHook:
    def __init__(self, signer: GrantSigner, max_readers: int, metrics: RelayMetrics | None = None) -> None:
        self.signer = signer
        self.max_readers = max_readers
        self.metrics = metrics

    async def refusal(self, session: AsyncSession, req: RelayAuthRequest) -> str | None:
        """Why the read is refused (one of :data:`REASONS`), or None: serve it. Admitting a
        new reader writes it in ``session``: the caller commits."""
        reason = await self._refusal(session, req)
        if reason is not None and self.metrics is not None:
            self.metrics.refusals.labels(reason).inc()
        return reason

    async def _refusal(self, session: AsyncSession, req: RelayAuthRequest) -> str | None:
        query = reader_query(req.query)
        if query is None:
            return "query"
        grant = self._grant(req, query)
        if isinstance(grant, str):
            return grant
        if grant.path != req.path.strip("/"):
            return "path"
        reason = outside_the_grant(grant, req.action, query)
        if reason is not None:
            return reason
        if not grant.bound_to(req.ip, query.get("session")):
            return "session_key" if grant.session_key_hash is not None else "address"
        reader = f"id {req.id}" if req.id else f"address {normalized_address(req.ip)}"
        admitted = await GrantReaders(session).admit(
            grant.grant_id, reader, grant.expires_at, self.max_readers
        )
        return None if admitted else "readers"

    def _grant(self, req: RelayAuthRequest, query: dict[str, str]) -> GrantClaims | str:
        """The first valid grant the reader presents (as its password, its bearer token, or
        `token=`/`jwt=` in the query), or why there is none."""
        candidates = [c for c in (req.token, req.password, query.get("token"), query.get("jwt")) if c]
        if not candidates:
            return "no_grant"  # RTSP asks without credentials first; the player then sends them
        for candidate in candidates:
            grant = self.signer.verify(candidate)
            if grant is not None:
                return grant
        return "invalid"


class ExpiredReaders(LongRunningService):
    """Each replica removes the readers of expired grants once a minute (any replica's sweep
    will do; the rows are of no use once their grant is refused as expired)."""

    name = "gateway-expired-readers"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], every_s: float = 60.0) -> None:
        super().__init__()
        self.sessions = sessions
        self.every_s = every_s
        # The first sweep a period after start: nothing is due sooner, and a replica starting
        # (or a fleet restarting) does not sweep all at once.
        self._started = False

    async def run_once(self) -> float:
        if self._started:
            async with session_scope(self.sessions) as session:
                await GrantReaders(session).remove_expired()
        self._started = True
        return self.every_s


def reader_query(query: str) -> dict[str, str] | None:
    """The query's decisive parameters, decoded as MediaMTX (Go's url.ParseQuery) decodes them;
    None when the query is ambiguous (one of them twice, or a `;`)."""
    if ";" in query:
        return None
    decisive: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in _DECISIVE:
            if name in decisive:
                return None
            decisive[name] = value
    return decisive


def outside_the_grant(grant: GrantClaims, action: str, query: dict[str, str]) -> str | None:
    """Why the request is not what the grant allows ("action" or "range"), or None."""
    if grant.action == "read":
        if action != "read":
            return "action"
        # A live grant serves now, and nothing recorded.
        return "range" if any(name in query for name in _PLAYBACK_PARAMETERS) else None
    if grant.action == "playback" and action == "playback":
        return None if _inside_the_range(grant, query) else "range"
    return "action"


def _inside_the_range(grant: GrantClaims, query: dict[str, str]) -> bool:
    if grant.range_from is None or grant.range_to is None:
        return False
    start = rfc3339_ns(query.get("start"))
    if start is None:
        return False  # no start: MediaMTX would list or serve from the first recording on
    reaches: list[int | None] = []
    if "duration" in query:
        duration = duration_ns(query["duration"])
        reaches.append(None if duration is None else start + duration)
    if "end" in query:
        reaches.append(rfc3339_ns(query["end"]))
    if not reaches:
        return False  # no bound: as far as the recordings go
    first, last = _ns(grant.range_from), _ns(grant.range_to)
    return first <= start and all(reach is not None and start <= reach <= last for reach in reaches)


def rfc3339_ns(text: str | None) -> int | None:
    """An RFC 3339 date-time (`2026-11-23T09:00:00.5+08:00`, Go's time.RFC3339 with its optional
    fraction) as nanoseconds since 1970 UTC, exactly; None for anything else."""
    match = _RFC3339.fullmatch(text or "")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        wall = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        return None
    offset = 0
    if match[8] is None:
        offset_hours, offset_minutes = int(match[10]), int(match[11])
        if offset_hours > 23 or offset_minutes > 59:
            return None
        offset = (1 if match[9] == "+" else -1) * (offset_hours * 3600 + offset_minutes * 60)
    seconds = (wall - _EPOCH) // dt.timedelta(seconds=1) - offset
    return seconds * 1_000_000_000 + int((match[7] or "").ljust(9, "0"))


def duration_ns(text: str) -> int | None:
    """How far a playback reaches, in nanoseconds, never less than MediaMTX plays: a number of
    seconds (`3600`, `200.5`), or a Go duration (`1h2m3.5s`); None for anything else (a sign,
    an exponent, `inf`) or for more than MediaMTX can hold."""
    if _SECONDS.fullmatch(text):
        exact = math.ceil(Fraction(text) * 1_000_000_000)
        if exact > _MAX_DURATION_NS:
            return None
        # MediaMTX multiplies in floating point and truncates: the larger of the two.
        return max(exact, int(float(text) * 1e9))
    if not _GO_DURATION.fullmatch(text):
        return None
    total = sum(
        (Fraction(number) * _UNIT_NS[unit] for number, unit in re.findall(_GO_PART, text)), Fraction(0)
    )
    exact = math.ceil(total)
    return None if exact > _MAX_DURATION_NS else exact


def _ns(instant: dt.datetime) -> int:
    return (instant - _EPOCH) // dt.timedelta(microseconds=1) * 1_000
