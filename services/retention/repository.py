"""All of retention's SQL.

Compliance is computed set-based in PostgreSQL (:meth:`ObservationRepository.evaluate`):
the footage of each channel is a ``tstzmultirange``, so the gaps inside the required window,
the footage that existed at the last check and is gone now, and the required days per
jurisdiction and category are a few range operations over the whole batch, not a loop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Row, String, and_, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jifang.db import copy_rows
from services.retention.models import (
    AppliedEvent,
    Channel,
    JurisdictionRule,
    MirroredDevice,
    MirroredPlace,
    MirroredSystem,
    MirroredUnit,
    Observation,
    OutboxEvent,
    RetentionRule,
)


class Recorder(NamedTuple):
    """What the checker needs of a recorder (plain rows: no ORM objects for a fleet)."""

    device_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    onvif_address: str
    jurisdiction: str


class FleetRepository:
    """The mirror of the registry's fleet, and the checker's schedule."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, event_id: uuid.UUID) -> bool:
        """Record an event id; False if it was applied before (a redelivery)."""
        stmt = (
            insert(AppliedEvent)
            .values(event_id=event_id)
            .on_conflict_do_nothing()
            .returning(AppliedEvent.event_id)
        )
        return (await self.session.scalar(stmt)) is not None

    async def _upsert(
        self, model: Any, key: str, rows: Sequence[Mapping[str, Any]], chunk: int = 1000
    ) -> None:
        for i in range(0, len(rows), chunk):
            part = list(rows[i : i + chunk])
            stmt = insert(model).values(part)
            stmt = stmt.on_conflict_do_update(
                index_elements=[key], set_={k: stmt.excluded[k] for k in part[0] if k != key}
            )
            await self.session.execute(stmt)

    async def upsert_units(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(MirroredUnit, "unit_id", rows)

    async def upsert_places(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(
            MirroredPlace, "place_id", [{**r, "removed": r.get("removed", False)} for r in rows]
        )

    async def upsert_systems(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(
            MirroredSystem, "system_id", [{**r, "removed": r.get("removed", False)} for r in rows]
        )

    async def upsert_devices(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._upsert(MirroredDevice, "device_id", [{**r, "removed": False} for r in rows])

    async def remove_device(self, device_id: uuid.UUID) -> None:
        await self.session.execute(
            update(MirroredDevice).where(MirroredDevice.device_id == device_id).values(removed=True)
        )
        await self.session.execute(
            update(Channel).where(Channel.recorder_id == device_id).values(active=False)
        )

    async def remove_devices_except(self, known: set[uuid.UUID]) -> int:
        ids = bindparam("known", list(known), type_=ARRAY(PG_UUID(as_uuid=True)))
        result = await self.session.execute(
            update(MirroredDevice)
            .where(MirroredDevice.removed.is_(False), MirroredDevice.device_id != func.all(ids))
            .values(removed=True)
        )
        await self.session.execute(
            update(Channel)
            .where(Channel.active.is_(True), Channel.recorder_id != func.all(ids))
            .values(active=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_unit(self, unit_id: uuid.UUID, district: str, jurisdiction: str) -> None:
        await self.session.execute(
            update(MirroredUnit)
            .where(MirroredUnit.unit_id == unit_id)
            .values(district=district, jurisdiction=jurisdiction)
        )
        await self.session.execute(
            update(Channel).where(Channel.unit_id == unit_id).values(district=district)
        )

    async def recorders_due(self, now: dt.datetime, limit: int) -> list[Recorder]:
        """Recorders whose turn has come: NVRs, and cameras outside any NVR (they may record
        themselves); a camera under an NVR is checked through its NVR."""
        rows = await self.session.execute(
            self._recorders()
            .where(
                func.coalesce(MirroredDevice.next_check_at, now) <= now,
            )
            .order_by(MirroredDevice.next_check_at.nulls_first())
            .limit(limit)
        )
        return [Recorder(*r) for r in rows]

    async def recorders_of_unit(self, unit_id: uuid.UUID) -> list[Recorder]:
        rows = await self.session.execute(self._recorders().where(MirroredDevice.unit_id == unit_id))
        return [Recorder(*r) for r in rows]

    @staticmethod
    def _recorders() -> Any:
        return (
            select(
                MirroredDevice.device_id,
                MirroredDevice.unit_id,
                MirroredDevice.kind,
                MirroredDevice.onvif_address,
                MirroredUnit.jurisdiction,
            )
            .join(MirroredUnit, MirroredUnit.unit_id == MirroredDevice.unit_id)
            .where(
                MirroredDevice.removed.is_(False),
                MirroredDevice.onvif_address.is_not(None),
                MirroredDevice.parent_id.is_(None),
            )
        )

    async def schedule(
        self, device_ids: Sequence[uuid.UUID], checked_at: dt.datetime, interval_s: float
    ) -> None:
        """Next turn one interval on; a recorder keeps its place in the day (the spread)."""
        await self.session.execute(
            update(MirroredDevice)
            .where(MirroredDevice.device_id.in_(device_ids))
            .values(
                last_checked_at=checked_at,
                next_check_at=func.greatest(
                    func.coalesce(MirroredDevice.next_check_at, checked_at)
                    + func.make_interval(0, 0, 0, 0, 0, 0, interval_s),
                    checked_at + dt.timedelta(seconds=interval_s / 2),
                ),
            )
        )

    async def spread_new_recorders(self, now: dt.datetime, span_s: float) -> int:
        """Give recorders without a turn one within ``span_s`` (by a hash of their id), so that
        a fleet's checks are spread, not one burst."""
        result = await self.session.execute(
            text(
                "UPDATE retention.devices SET next_check_at = CAST(:now AS timestamptz) "
                "+ make_interval(secs => (abs(hashtext(device_id::text)) % :span)::float8) "
                "WHERE next_check_at IS NULL AND NOT removed"
            ),
            {"now": now, "span": max(1, int(span_s))},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def cameras_of(self, recorder_id: uuid.UUID) -> dict[int, uuid.UUID]:
        """Channel number -> the registry's camera, for the cameras recorded by an NVR."""
        rows = await self.session.execute(
            select(MirroredDevice.channel_no, MirroredDevice.device_id).where(
                MirroredDevice.parent_id == recorder_id,
                MirroredDevice.removed.is_(False),
                MirroredDevice.channel_no.is_not(None),
            )
        )
        return {n: d for n, d in rows if n is not None}

    async def unit_exists(self, unit_id: uuid.UUID) -> bool:
        return (await self.session.get(MirroredUnit, unit_id)) is not None


class RuleRepository:
    """The packs' rules as rows: replaced whole at start-up (the packs are the source)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(
        self, rules: Sequence[Mapping[str, Any]], jurisdictions: Sequence[Mapping[str, Any]]
    ) -> None:
        await self.session.execute(delete(RetentionRule))
        await self.session.execute(delete(JurisdictionRule))
        if rules:
            await self.session.execute(insert(RetentionRule).values(list(rules)))
        if jurisdictions:
            await self.session.execute(insert(JurisdictionRule).values(list(jurisdictions)))


# The verdict of every pending observation of the given checks, in one statement. Footage is
# a multirange; the window is the required days back from the check. Gaps shorter than the
# jurisdiction's threshold are breaks, not gaps. A gap where the last reading had footage is
# footage deleted; one where it had none (or with no last reading) is an interruption.
_EVALUATE = text(
    """
WITH pending AS (
    SELECT o.* FROM retention.observations o
    WHERE o.verdict IS NULL AND o.check_id = ANY(:checks)
), ctx AS (
    SELECT p.id, p.checked_at, p.outcome, p.earliest, p.latest, p.footage, p.recording_status,
           p.max_retention_s, u.district, u.jurisdiction, j.timezone, j.gap_threshold_s,
           j.deletion_slack_s, j.stale_s, j.short_articles, j.short_penalty, j.deleted_articles,
           j.deleted_penalty, j.interrupted_articles, j.interrupted_penalty, pl.category,
           sy.acceptance_date,
           CASE WHEN rc.days > rd.days THEN rc.days ELSE rd.days END AS required_days,
           CASE WHEN rc.days > rd.days THEN rc.source ELSE rd.source END AS requirement_source,
           prev.earliest AS prev_earliest, prev.latest AS prev_latest,
           prev.footage AS prev_footage, prev.checked_at AS prev_checked_at
    FROM pending p
    JOIN retention.units u ON u.unit_id = p.unit_id
    JOIN retention.jurisdictions j ON j.jurisdiction = u.jurisdiction
    JOIN retention.rules rd ON rd.jurisdiction = u.jurisdiction AND rd.category = ''
    LEFT JOIN retention.devices cam ON cam.device_id = coalesce(p.camera_id, p.recorder_id)
    LEFT JOIN retention.places pl ON pl.place_id = cam.place_id AND NOT pl.removed
    LEFT JOIN retention.systems sy ON sy.system_id = cam.system_id AND NOT sy.removed
    LEFT JOIN retention.rules rc ON rc.jurisdiction = u.jurisdiction AND rc.category = pl.category
    LEFT JOIN retention.channels ch
        ON ch.recorder_id = p.recorder_id AND ch.recording_token = p.recording_token
    LEFT JOIN retention.observations prev
        ON prev.id = ch.read_observation_id AND prev.checked_at = ch.read_checked_at
), calc AS (
    SELECT c.*,
           c.checked_at - make_interval(days => c.required_days) AS window_start,
           c.acceptance_date + c.required_days AS due_on,
           (c.acceptance_date IS NULL OR c.acceptance_date + c.required_days
                <= (c.checked_at AT TIME ZONE c.timezone)::date) AS due,
           CASE WHEN c.earliest IS NULL THEN 0
                ELSE extract(epoch FROM c.checked_at - c.earliest) END AS retained_s
    FROM ctx c
), spans AS (
    SELECT c.*,
           CASE WHEN c.outcome = 'read' AND c.earliest IS NOT NULL
                     AND greatest(c.window_start, c.earliest) < c.latest
                THEN tstzmultirange(tstzrange(greatest(c.window_start, c.earliest), c.latest))
                     - c.footage
                ELSE '{}'::tstzmultirange END AS window_gaps
    FROM calc c
), gaps AS (
    SELECT s.*,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(lower(g), upper(g)) ORDER BY lower(g)), '[]')
              FROM unnest(s.window_gaps) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= s.gap_threshold_s) AS gap_list,
           (SELECT coalesce(sum(extract(epoch FROM upper(g) - lower(g))), 0)
              FROM unnest(s.window_gaps * coalesce(s.prev_footage, '{}')) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= s.gap_threshold_s) AS deleted_s,
           (SELECT count(*)
              FROM unnest(s.window_gaps - coalesce(s.prev_footage, '{}')) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= s.gap_threshold_s) AS interruptions
    FROM spans s
), judged AS (
    SELECT g.id, g.checked_at, g.district, g.jurisdiction, g.category, g.required_days,
           g.requirement_source, g.retained_s / 86400 AS retained_days, g.gap_list, g.due,
           g.due_on, g.outcome,
           coalesce((
               SELECT jsonb_agg(f.finding ORDER BY f.ord) FROM (VALUES
                 (1, CASE WHEN g.outcome = 'read' AND g.due
                               AND g.retained_s < g.required_days * 86400 - g.gap_threshold_s
                     THEN jsonb_build_object(
                         'rule', 'retention_short', 'kind', 'short',
                         'articles', to_jsonb(g.short_articles), 'penalty', g.short_penalty,
                         'detail', format('footage kept %s days of the %s required',
                                          round((g.retained_s / 86400)::numeric, 1), g.required_days)) END),
                 (2, CASE WHEN g.outcome = 'read' AND g.due AND g.max_retention_s > 0
                               AND g.max_retention_s < g.required_days * 86400
                     THEN jsonb_build_object(
                         'rule', 'retention_short', 'kind', 'configured_short',
                         'articles', to_jsonb(g.short_articles), 'penalty', g.short_penalty,
                         'detail', format('the recorder is set to keep %s days of the %s required',
                                          round((g.max_retention_s / 86400)::numeric, 1),
                                          g.required_days)) END),
                 (3, CASE WHEN g.outcome = 'read' AND g.prev_checked_at IS NOT NULL AND (
                               (g.earliest IS NOT NULL AND g.prev_earliest IS NOT NULL
                                AND g.earliest > g.window_start
                                AND g.earliest - g.prev_earliest > (g.checked_at - g.prev_checked_at)
                                    + make_interval(secs => g.deletion_slack_s))
                            OR (g.earliest IS NULL AND g.prev_latest > g.window_start))
                     THEN jsonb_build_object(
                         'rule', 'records_deleted_or_altered', 'kind', 'deleted',
                         'articles', to_jsonb(g.deleted_articles), 'penalty', g.deleted_penalty,
                         'detail', format('the earliest footage moved from %s to %s in %s',
                                          g.prev_earliest, g.earliest,
                                          date_trunc('second', g.checked_at - g.prev_checked_at))) END),
                 (4, CASE WHEN g.deleted_s > 0
                     THEN jsonb_build_object(
                         'rule', 'records_deleted_or_altered', 'kind', 'deleted',
                         'articles', to_jsonb(g.deleted_articles), 'penalty', g.deleted_penalty,
                         'detail', format('%s hours of footage present at the last check are gone',
                                          round((g.deleted_s / 3600)::numeric, 1))) END),
                 (5, CASE WHEN g.interruptions > 0
                     THEN jsonb_build_object(
                         'rule', 'operation_interrupted', 'kind', 'gap',
                         'articles', to_jsonb(g.interrupted_articles), 'penalty', g.interrupted_penalty,
                         'detail', format('%s gap(s) in the footage of the last %s days',
                                          g.interruptions, g.required_days)) END),
                 (6, CASE WHEN g.outcome = 'read' AND (g.recording_status <> 'Recording'
                               OR extract(epoch FROM g.checked_at - g.latest) > g.stale_s)
                     THEN jsonb_build_object(
                         'rule', 'operation_interrupted', 'kind', 'stopped',
                         'articles', to_jsonb(g.interrupted_articles), 'penalty', g.interrupted_penalty,
                         'detail', format('recording status %s, latest footage %s',
                                          g.recording_status, coalesce(g.latest::text, 'none'))) END)
               ) AS f(ord, finding) WHERE f.finding IS NOT NULL
           ), '[]'::jsonb) AS findings
    FROM gaps g
)
UPDATE retention.observations o
SET district = j.district, jurisdiction = j.jurisdiction, category = j.category,
    required_days = j.required_days, requirement_source = j.requirement_source,
    retained_days = CASE WHEN j.outcome = 'read' THEN j.retained_days END,
    gaps = j.gap_list, findings = j.findings, due_date = j.due_on,
    verdict = CASE WHEN j.outcome <> 'read' THEN 'cannot_verify'
                   WHEN jsonb_array_length(j.findings) > 0 THEN 'violating'
                   WHEN NOT j.due THEN 'not_yet_due'
                   ELSE 'compliant' END
FROM judged j
WHERE o.id = j.id AND o.checked_at = j.checked_at
RETURNING o.id, o.checked_at, o.recorder_id, o.recording_token, o.camera_id, o.unit_id,
          o.district, o.jurisdiction, o.category, o.verdict, o.reason, o.required_days,
          o.requirement_source, o.retained_days, o.due_date, o.findings, o.gaps,
          o.recording_status, o.max_retention_s, o.outcome
"""
).bindparams(bindparam("checks", type_=ARRAY(PG_UUID(as_uuid=True))))

# The channels' current state: the newest evaluated observation of each, in one statement.
_ADVANCE_CHANNELS = text(
    """
INSERT INTO retention.channels AS ch (recorder_id, recording_token, unit_id, camera_id, district,
    category, jurisdiction, verdict, observation_id, checked_at, read_observation_id,
    read_checked_at, active)
SELECT DISTINCT ON (o.recorder_id, o.recording_token)
       o.recorder_id, o.recording_token, o.unit_id, o.camera_id, o.district, o.category,
       o.jurisdiction, o.verdict, o.id, o.checked_at,
       CASE WHEN o.outcome = 'read' THEN o.id END, CASE WHEN o.outcome = 'read' THEN o.checked_at END,
       true
FROM retention.observations o
WHERE o.check_id = ANY(:checks) AND o.verdict IS NOT NULL
ORDER BY o.recorder_id, o.recording_token, o.checked_at DESC
ON CONFLICT (recorder_id, recording_token) DO UPDATE SET
    unit_id = excluded.unit_id, camera_id = excluded.camera_id, district = excluded.district,
    category = excluded.category, jurisdiction = excluded.jurisdiction, verdict = excluded.verdict,
    observation_id = excluded.observation_id, checked_at = excluded.checked_at, active = true,
    read_observation_id = coalesce(excluded.read_observation_id, ch.read_observation_id),
    read_checked_at = coalesce(excluded.read_checked_at, ch.read_checked_at)
WHERE excluded.checked_at >= ch.checked_at
"""
).bindparams(bindparam("checks", type_=ARRAY(PG_UUID(as_uuid=True))))


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk-load observations (COPY; the partitions must exist)."""
        await copy_rows(self.session, Observation.__table__, rows)  # type: ignore[arg-type]

    async def evaluate(self, check_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        """Judge the pending observations of these checks; advance their channels."""
        result = await self.session.execute(_EVALUATE, {"checks": list(check_ids)})
        judged = list(result)
        await self.session.execute(_ADVANCE_CHANNELS, {"checks": list(check_ids)})
        return judged

    async def known_tokens(self, recorder_id: uuid.UUID) -> list[str]:
        """The recorder's active channels (those a failed reading reports as unverifiable)."""
        rows = await self.session.scalars(
            select(Channel.recording_token)
            .where(Channel.recorder_id == recorder_id, Channel.active.is_(True))
            .order_by(Channel.recording_token)
        )
        return list(rows)

    async def retire_channels(self, recorder_id: uuid.UUID, present: Sequence[str]) -> None:
        """Channels the recorder no longer lists leave the counts (their history stays)."""
        await self.session.execute(
            update(Channel)
            .where(
                Channel.recorder_id == recorder_id,
                Channel.active.is_(True),
                Channel.recording_token != func.all(bindparam("present", list(present), type_=ARRAY(String))),
            )
            .values(active=False)
        )

    # --- reading results ---

    async def channels(
        self,
        *,
        unit_id: uuid.UUID | None = None,
        district: str | None = None,
        category: str | None = None,
        verdict: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Observation], int]:
        """Current state of the active channels, with their latest observation."""
        cond: list[ColumnElement[bool]] = [Channel.active.is_(True)]
        if unit_id is not None:
            cond.append(Channel.unit_id == unit_id)
        if district is not None:
            cond.append(Channel.district == district)
        if category is not None:
            cond.append(Channel.category == category)
        if verdict is not None:
            cond.append(Channel.verdict == verdict)
        total = int(await self.session.scalar(select(func.count()).select_from(Channel).where(*cond)) or 0)
        rows = await self.session.scalars(
            select(Observation)
            .join(
                Channel,
                and_(Observation.id == Channel.observation_id, Observation.checked_at == Channel.checked_at),
            )
            .where(*cond)
            .order_by(Channel.unit_id, Channel.recorder_id, Channel.recording_token)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    async def history(self, recorder_id: uuid.UUID, token: str, limit: int = 100) -> list[Observation]:
        rows = await self.session.scalars(
            select(Observation)
            .where(Observation.recorder_id == recorder_id, Observation.recording_token == token)
            .order_by(Observation.checked_at.desc())
            .limit(limit)
        )
        return list(rows)

    async def counts(self, group_by: str) -> list[tuple[str | None, str, int]]:
        """(group, verdict, channels) over the active channels, by district or category."""
        column = {"district": Channel.district, "category": Channel.category}[group_by]
        rows = await self.session.execute(
            select(column, Channel.verdict, func.count())
            .where(Channel.active.is_(True))
            .group_by(column, Channel.verdict)
            .order_by(column, Channel.verdict)
        )
        return [(g, v, int(n)) for g, v, n in rows]

    async def counts_by_district_category(self) -> list[tuple[str, str | None, str, int]]:
        rows = await self.session.execute(
            select(Channel.district, Channel.category, Channel.verdict, func.count())
            .where(Channel.active.is_(True))
            .group_by(Channel.district, Channel.category, Channel.verdict)
        )
        return [(d, c, v, int(n)) for d, c, v, n in rows]


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Events written in the caller's transaction; the relay sends them once it commits."""
        if rows:
            await self.session.execute(insert(OutboxEvent), list(rows))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


class PartitionRepository:
    """Monthly partitions of ``observations`` (UTC months): made ahead of need, dropped when
    their whole month is older than the policy keeps. Only this table is ever pruned."""

    TABLE = "observations"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ensure(self, months: set[dt.date]) -> list[str]:
        """Create the partitions of these months (first days) if missing; their names."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('retention.partitions'))"))
        names = []
        for first in sorted(month_start(m) for m in months):
            name = f"{self.TABLE}_{first:%Y%m}"
            await self.session.execute(
                text(
                    f'CREATE TABLE IF NOT EXISTS retention."{name}" PARTITION OF retention.{self.TABLE} '
                    f"FOR VALUES FROM ('{first.isoformat()} 00:00:00+00') "
                    f"TO ('{next_month(first).isoformat()} 00:00:00+00')"
                )
            )
            names.append(name)
        return names

    async def existing(self) -> dict[str, dt.date]:
        """Partition name -> its month, from the catalogue."""
        rows = await self.session.execute(
            text(
                "SELECT c.relname FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                "JOIN pg_namespace n ON n.oid = p.relnamespace "
                "WHERE n.nspname = 'retention' AND p.relname = :table"
            ),
            {"table": self.TABLE},
        )
        out = {}
        for (name,) in rows:
            suffix = name.removeprefix(f"{self.TABLE}_")
            if len(suffix) == 6 and suffix.isdigit():
                out[name] = dt.date(int(suffix[:4]), int(suffix[4:]), 1)
        return out

    async def drop_before(self, cutoff: dt.date) -> list[str]:
        """Drop the partitions whose whole month ends on or before ``cutoff``."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('retention.partitions'))"))
        dropped = []
        for name, first in sorted((await self.existing()).items()):
            if next_month(first) <= cutoff:
                await self.session.execute(text(f'DROP TABLE retention."{name}"'))
                dropped.append(name)
        return dropped
