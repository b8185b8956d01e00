"""The registry's clock: instants in UTC, deadlines in calendar days of a pack's time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jifang.policy import PolicyPack

# Services take one so that tests can move time (deadlines, escalations).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_today(pack: PolicyPack, now: datetime) -> dt.date:
    """Deadlines run in calendar days of the pack's time zone (Asia/Shanghai)."""
    return now.astimezone(ZoneInfo(pack.timezone)).date()
