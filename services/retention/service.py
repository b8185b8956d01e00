"""Retention's business rules behind the API: who sees which unit, the on-demand check of one
unit, and the views per channel, unit, district and category."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import DependencyUnavailable, Forbidden, NotFound, NotYetKnown
from jifang.policy import PolicyBook
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable
from jifang.retention_client import CameraFootage
from services.retention.checks import RetentionChecker
from services.retention.findings import render_findings
from services.retention.models import Channel, Observation
from services.retention.observations import ObservationRepository
from services.retention.repository import FleetRepository
from services.retention.schemas import (
    ChannelPage,
    ChannelResult,
    Finding,
    GroupCounts,
    Summary,
    SummaryGrouping,
    UnitRetention,
    VerdictCounts,
)

# A unit is as bad as its worst channel.
SEVERITY = ("violating", "cannot_verify", "not_yet_due", "compliant")


def ensure_unit_visible(principal: Principal, unit_id: uuid.UUID) -> None:
    if principal.is_unit_scoped and principal.unit_id != unit_id:
        raise Forbidden("A unit administrator sees only its own unit")


def _scope(principal: Principal, unit_id: uuid.UUID | None) -> uuid.UUID | None:
    if principal.is_unit_scoped:
        if unit_id is not None and unit_id != principal.unit_id:
            raise Forbidden("A unit administrator sees only its own unit")
        return principal.unit_id
    return unit_id


class _AsJudgedNow:
    """An observation seen with the channel's current judgement (without touching the
    stored observation: the history keeps what each check found)."""

    def __init__(self, observation: Observation, current: Channel) -> None:
        self._observation = observation
        self._now = {
            "verdict": current.verdict,
            "finding_kinds": current.finding_kinds,
            "required_days": current.required_days,
            "requirement_source": current.requirement_source,
            "due_date": current.due_date,
        }

    def __getattr__(self, name: str) -> Any:
        return self._now[name] if name in self._now else getattr(self._observation, name)


def _result(o: Observation, book: PolicyBook, current: Channel | None = None) -> ChannelResult:
    """A channel at one check; with ``current``, as judged now (a system may have fallen due)."""
    seen: Any = o if current is None else _AsJudgedNow(o, current)
    result = ChannelResult.model_validate(seen)
    result.findings = [Finding(**f) for f in render_findings(seen, book)]
    return result


class RetentionService:
    def __init__(self, checker: RetentionChecker, check_interval_s: float, registry: RegistryClient) -> None:
        self.checker = checker
        self.check_interval_s = check_interval_s
        self.registry = registry

    async def _known_unit(self, session: AsyncSession, unit_id: uuid.UUID) -> None:
        """The unit is in retention's mirror; if not, the registry says whether it exists (just
        created: not yet known here, retry in a second) or not (404)."""
        if await FleetRepository(session).unit_exists(unit_id):
            return
        try:
            exists = await self.registry.unit_exists(unit_id)
        except (RegistryUnavailable, RegistryRefused) as exc:
            raise DependencyUnavailable(
                f"Unit {unit_id} is not in retention's mirror and the registry cannot be asked"
            ) from exc
        if exists:
            raise NotYetKnown(
                f"Unit {unit_id} is in the registry and not yet in retention's mirror, which learns of "
                "it from the registry's events within about a second"
            )
        raise NotFound(f"No unit {unit_id}")

    async def check_unit(
        self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID
    ) -> UnitRetention:
        """Read every recorder of the unit now, judge and publish; the unit's new state."""
        ensure_unit_visible(principal, unit_id)
        await self._known_unit(session, unit_id)
        readings = await self.checker.read(await FleetRepository(session).recorders_of_unit(unit_id))
        await self.checker.record(session, readings, self.check_interval_s)
        return await self.unit(session, principal, unit_id)

    async def unit(self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> UnitRetention:
        ensure_unit_visible(principal, unit_id)
        await self._known_unit(session, unit_id)
        rows, _ = await ObservationRepository(session).channels(unit_id=unit_id, limit=10_000)
        channels = [_result(o, self.checker.book, c) for o, c in rows]
        counts = VerdictCounts()
        for c in channels:
            if c.verdict is not None:
                setattr(counts, c.verdict, getattr(counts, c.verdict) + 1)
        worst = next((v for v in SEVERITY if getattr(counts, v)), None)
        return UnitRetention(unit_id=unit_id, verdict=worst, counts=counts, channels=channels)

    async def channels(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        unit_id: uuid.UUID | None,
        district: str | None,
        category: str | None,
        verdict: str | None,
        limit: int,
        offset: int,
    ) -> ChannelPage:
        rows, total = await ObservationRepository(session).channels(
            unit_id=_scope(principal, unit_id),
            district=district,
            category=category,
            verdict=verdict,
            limit=limit,
            offset=offset,
        )
        return ChannelPage(
            items=[_result(o, self.checker.book, c) for o, c in rows], total=total, limit=limit, offset=offset
        )

    async def history(
        self, session: AsyncSession, principal: Principal, recorder_id: uuid.UUID, token: str, limit: int
    ) -> list[ChannelResult]:
        rows = await ObservationRepository(session).history(recorder_id, token, limit)
        if not rows:
            raise NotFound(f"No checks of channel {token!r} of recorder {recorder_id}")
        ensure_unit_visible(principal, rows[0].unit_id)
        return [_result(o, self.checker.book) for o in rows]

    async def camera_footage(
        self, session: AsyncSession, camera_id: uuid.UUID, start: dt.datetime, end: dt.datetime
    ) -> CameraFootage:
        row = await ObservationRepository(session).camera_footage(camera_id, start, end)
        if row is None:
            raise NotFound(f"No reading of camera {camera_id}'s recorder")
        checked_at, earliest, latest, holds = row
        return CameraFootage(
            camera_id=camera_id, checked_at=checked_at, earliest=earliest, latest=latest, holds_footage=holds
        )

    async def summary(self, session: AsyncSession, by: SummaryGrouping) -> Summary:
        groups: dict[str | None, VerdictCounts] = {}
        for group, verdict, n in await ObservationRepository(session).counts(by):
            setattr(groups.setdefault(group, VerdictCounts()), verdict, n)
        return Summary(by=by, groups=[GroupCounts(group=g, counts=c) for g, c in groups.items()])
