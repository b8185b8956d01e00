"""Rate limits: token buckets by key (a client address, an officer), and caps on what a key
holds open at once (alarm streams). A refusal is a 429 with Retry-After, counted in
``rate_limited_total{service, limit}``.

The buckets are each process's own: with N replicas behind a load balancer a client gets up
to N times a limit, which is what the limits are sized for (they stop guessing and flooding,
not a patient attacker spread over addresses). A process keeps at most ``MAX_KEYS`` keys per
limit: the least recently seen are forgotten first, so an attacker cycling addresses costs
memory it cannot grow.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter
from starlette.requests import Request

from jifang.errors import TooManyRequests
from jifang.state import AppSlot

# The limits the shared code applies; a service adds its own names.
AUTH_FAILURES = "auth_failures"
MAX_KEYS = 100_000


@dataclass(frozen=True)
class Limit:
    """``per_minute`` on average, up to ``burst`` at once."""

    per_minute: float
    burst: float


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class _Buckets:
    limit: Limit
    keys: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def get(self, key: str, now: float) -> _Bucket:
        bucket = self.keys.pop(key, None) or _Bucket(self.limit.burst, now)
        bucket.tokens = min(self.limit.burst, bucket.tokens + (now - bucket.at) * self.limit.per_minute / 60)
        bucket.at = now
        self.keys[key] = bucket  # the most recently seen last
        while len(self.keys) > MAX_KEYS:
            self.keys.popitem(last=False)
        return bucket


class RateLimits:
    def __init__(
        self,
        registry: CollectorRegistry,
        service: str,
        limits: Mapping[str, Limit],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        # A limit of 0 a minute is none (a benchmark's load, a test's).
        self._buckets = {name: _Buckets(limit) for name, limit in limits.items() if limit.per_minute > 0}
        self._clock = clock
        self.refused = Counter(
            "rate_limited_total",
            "Requests refused by a rate limit (429)",
            ["service", "limit"],
            registry=registry,
        )
        for name in limits:
            self.refused.labels(service, name)

    def check(self, name: str, key: str, what: str) -> None:
        """429 while ``key`` has spent its ``name`` bucket (nothing is taken)."""
        buckets = self._buckets.get(name)
        if buckets is None:
            return
        bucket = buckets.get(key, self._clock())
        if bucket.tokens < 1:
            self.refused.labels(self.service, name).inc()
            wait = math.ceil((1 - bucket.tokens) * 60 / buckets.limit.per_minute)
            raise TooManyRequests(
                f"Too many {what} from this client: at most {buckets.limit.per_minute:g} a minute; "
                f"retry in {wait} s",
                retry_after=max(1, wait),
            )

    def spend(self, name: str, key: str) -> None:
        """One of ``key``'s ``name`` spent (a failed attempt, a request)."""
        buckets = self._buckets.get(name)
        if buckets is not None:
            bucket = buckets.get(key, self._clock())
            bucket.tokens = max(0.0, bucket.tokens - 1)

    def take(self, name: str, key: str, what: str) -> None:
        """Check, then spend: a request counted whether it then succeeds or not."""
        self.check(name, key, what)
        self.spend(name, key)


class OpenLimit:
    """At most ``most`` things (streams) open at once per key."""

    def __init__(self, limits: RateLimits, name: str, most: int) -> None:
        self.limits, self.name, self.most = limits, name, most
        self._open: dict[str, int] = {}

    def open(self, key: str, what: str) -> Callable[[], None]:
        """Count one open for ``key`` (429 past the cap); returns what closes it, once."""
        if 0 < self.most <= self._open.get(key, 0):
            self.limits.refused.labels(self.limits.service, self.name).inc()
            raise TooManyRequests(f"At most {self.most} {what} open at once for this caller", retry_after=5)
        self._open[key] = self._open.get(key, 0) + 1
        closed = False

        def close() -> None:
            nonlocal closed
            if not closed:
                closed = True
                left = self._open[key] - 1
                if left:
                    self._open[key] = left
                else:
                    del self._open[key]

        return close


RATE_LIMITS = AppSlot("rate_limits", RateLimits)


def limits_of(request: Request) -> RateLimits | None:
    """The app's rate limits, if it set any."""
    value = getattr(request.app.state, RATE_LIMITS.name, None)
    return value if isinstance(value, RateLimits) else None


def client_key(request: Request) -> str:
    """The address a limit counts by: the client as this service sees it (the connection's
    peer)."""
    return request.client.host if request.client else "unknown"
