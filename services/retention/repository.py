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

from sqlalchemy import (
    BigInteger,
    DateTime,
    Row,
    String,
    and_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jifang.db import first_time
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
        return await first_time(self.session, AppliedEvent, event_id)

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

    async def remove_unit_devices(self, unit_id: uuid.UUID) -> None:
        await self.session.execute(
            update(MirroredDevice).where(MirroredDevice.unit_id == unit_id).values(removed=True)
        )
        await self.session.execute(update(Channel).where(Channel.unit_id == unit_id).values(active=False))

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


# Raw readings of one batch wait in a temporary table; one INSERT ... SELECT judges them all
# and writes each observation once, already judged (an UPDATE afterwards would write every
# row twice). Footage is a multirange; the window is the required days back from the check.
# Gaps shorter than the jurisdiction's threshold are breaks, not gaps. A gap where the last
# reading had footage is footage deleted; one where it had none (or with no last reading) is
# an interruption. Findings are kinds here; their articles come from the packs (findings.py).
RAW_COLUMNS = (
    "check_id",
    "checked_at",
    "recorder_id",
    "recording_token",
    "source_name",
    "camera_id",
    "unit_id",
    "outcome",
    "reason",
    "earliest",
    "latest",
    "footage",
    "recording_status",
    "max_retention_s",
)
_STAGING = text(
    "CREATE TEMP TABLE IF NOT EXISTS readings (check_id uuid, checked_at timestamptz, recorder_id uuid, "
    "recording_token text, source_name text, camera_id uuid, unit_id uuid, outcome text, reason text, "
    "earliest timestamptz, latest timestamptz, footage tstzmultirange, recording_status text, "
    "max_retention_s float8) ON COMMIT DELETE ROWS"
)
_JUDGE = text(
    """
WITH ctx AS MATERIALIZED (
    SELECT p.*, u.district, u.jurisdiction, j.timezone, j.gap_threshold_s,
           j.deletion_slack_s, j.stale_s, pl.category, sy.acceptance_date,
           CASE WHEN rc.days > rd.days THEN rc.days ELSE rd.days END AS required,
           CASE WHEN rc.days > rd.days THEN rc.source ELSE rd.source END AS source,
           prev.earliest AS p_earliest, prev.latest AS p_latest,
           prev.footage AS p_footage, prev.checked_at AS p_checked_at
    FROM readings p
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
), calc AS MATERIALIZED (
    SELECT c.*,
           c.checked_at - make_interval(days => c.required) AS window_start,
           (c.acceptance_date IS NULL OR c.acceptance_date + c.required
                <= (c.checked_at AT TIME ZONE c.timezone)::date) AS due,
           CASE WHEN c.earliest IS NULL THEN 0
                ELSE extract(epoch FROM c.checked_at - c.earliest) END AS retained_s,
           CASE WHEN c.outcome = 'read' AND c.earliest IS NOT NULL
                     AND greatest(c.checked_at - make_interval(days => c.required), c.earliest) < c.latest
                THEN tstzmultirange(tstzrange(
                         greatest(c.checked_at - make_interval(days => c.required), c.earliest), c.latest))
                     - c.footage
                ELSE '{}'::tstzmultirange END AS window_gaps
    FROM ctx c
), gaps AS MATERIALIZED (
    SELECT c.*,
           (SELECT coalesce(jsonb_agg(jsonb_build_array(lower(g), upper(g)) ORDER BY lower(g)), '[]')
              FROM unnest(c.window_gaps) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= c.gap_threshold_s) AS gap_list,
           CASE WHEN c.p_footage IS NULL THEN 0 ELSE
           (SELECT coalesce(sum(extract(epoch FROM upper(g) - lower(g))), 0)
              FROM unnest(c.window_gaps * c.p_footage) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= c.gap_threshold_s) END AS deleted_s,
           (SELECT count(*)
              FROM unnest(c.window_gaps - coalesce(c.p_footage, '{}')) g
             WHERE extract(epoch FROM upper(g) - lower(g)) >= c.gap_threshold_s) AS interruptions
    FROM calc c
), judged AS (
    SELECT g.*, array_remove(ARRAY[
        CASE WHEN g.outcome = 'read' AND g.due
                  AND g.retained_s < g.required * 86400 - g.gap_threshold_s THEN 'short' END,
        CASE WHEN g.outcome = 'read' AND g.due AND g.max_retention_s > 0
                  AND g.max_retention_s < g.required * 86400 THEN 'configured_short' END,
        CASE WHEN g.outcome = 'read' AND g.p_checked_at IS NOT NULL AND (
                  (g.earliest IS NOT NULL AND g.p_earliest IS NOT NULL AND g.earliest > g.window_start
                   AND g.earliest - g.p_earliest
                       > (g.checked_at - g.p_checked_at) + make_interval(secs => g.deletion_slack_s))
                  OR (g.earliest IS NULL AND g.p_latest > g.window_start)) THEN 'deleted_earliest' END,
        CASE WHEN g.deleted_s > 0 THEN 'deleted_footage' END,
        CASE WHEN g.interruptions > 0 THEN 'gap' END,
        CASE WHEN g.outcome = 'read' AND (g.recording_status <> 'Recording'
                  OR extract(epoch FROM g.checked_at - g.latest) > g.stale_s) THEN 'stopped' END
    ], NULL) AS kinds
    FROM gaps g
)
INSERT INTO retention.observations (check_id, checked_at, recorder_id, recording_token,
    source_name, camera_id, unit_id, outcome, reason, earliest, latest, footage,
    recording_status, max_retention_s, district, category, jurisdiction, required_days,
    requirement_source, verdict, due_date, retained_days, gaps, finding_kinds, deleted_s,
    interruptions, previous_earliest, previous_checked_at)
SELECT check_id, checked_at, recorder_id, recording_token, source_name, camera_id, unit_id,
       outcome, reason, earliest, latest, footage, recording_status, max_retention_s,
       district, category, jurisdiction, required, source,
       CASE WHEN outcome <> 'read' THEN 'cannot_verify'
            WHEN cardinality(kinds) > 0 THEN 'violating'
            WHEN NOT due THEN 'not_yet_due'
            ELSE 'compliant' END,
       acceptance_date + required,
       CASE WHEN outcome = 'read' THEN retained_s / 86400 END,
       gap_list, kinds, deleted_s, interruptions, p_earliest, p_checked_at
FROM judged
RETURNING id, checked_at, check_id, recorder_id, recording_token, source_name, camera_id, unit_id,
          outcome, reason, earliest, latest, recording_status, max_retention_s, district, category,
          jurisdiction, required_days, requirement_source, verdict, due_date, retained_days, gaps,
          finding_kinds, deleted_s, interruptions, previous_earliest, previous_checked_at
"""
)

# The channels' current state: the newest observation of each, in one statement.
_ADVANCE_CHANNELS = text(
    """
INSERT INTO retention.channels AS ch (recorder_id, recording_token, unit_id, camera_id, district,
    category, jurisdiction, verdict, finding_kinds, required_days, requirement_source, due_date,
    observation_id, checked_at, read_observation_id, read_checked_at, active)
SELECT DISTINCT ON (o.recorder_id, o.recording_token)
       o.recorder_id, o.recording_token, o.unit_id, o.camera_id, o.district, o.category,
       o.jurisdiction, o.verdict, o.finding_kinds, o.required_days, o.requirement_source,
       o.due_date, o.id, o.checked_at,
       CASE WHEN o.outcome = 'read' THEN o.id END, CASE WHEN o.outcome = 'read' THEN o.checked_at END,
       true
FROM unnest(:ids, :at) AS n(id, checked_at)
JOIN retention.observations o ON o.id = n.id AND o.checked_at = n.checked_at
ORDER BY o.recorder_id, o.recording_token, o.checked_at DESC
ON CONFLICT (recorder_id, recording_token) DO UPDATE SET
    unit_id = excluded.unit_id, camera_id = excluded.camera_id, district = excluded.district,
    category = excluded.category, jurisdiction = excluded.jurisdiction, verdict = excluded.verdict,
    finding_kinds = excluded.finding_kinds, required_days = excluded.required_days,
    requirement_source = excluded.requirement_source, due_date = excluded.due_date,
    observation_id = excluded.observation_id, checked_at = excluded.checked_at, active = true,
    read_observation_id = coalesce(excluded.read_observation_id, ch.read_observation_id),
    read_checked_at = coalesce(excluded.read_checked_at, ch.read_checked_at)
WHERE excluded.checked_at >= ch.checked_at
"""
).bindparams(
    bindparam("ids", type_=ARRAY(BigInteger)),
    bindparam("at", type_=ARRAY(DateTime(timezone=True))),
)

# Every active channel judged again from its stored spans, with today's date and the packs'
# rules now: a recently accepted system falls due, a pack's stricter rule applies. What only
# a comparison of two readings shows (deletions, gaps, a stopped recording) stays as seen.
_REJUDGE = text(
    """
WITH cur AS MATERIALIZED (
    SELECT ch.recorder_id, ch.recording_token, o.outcome, o.checked_at, o.max_retention_s,
           CASE WHEN o.earliest IS NULL THEN 0
                ELSE extract(epoch FROM o.checked_at - o.earliest) END AS retained_s,
           array(SELECT k FROM unnest(o.finding_kinds) k
                 WHERE k NOT IN ('short', 'configured_short')) AS seen,
           j.timezone, j.gap_threshold_s, sy.acceptance_date,
           CASE WHEN rc.days > rd.days THEN rc.days ELSE rd.days END AS required,
           CASE WHEN rc.days > rd.days THEN rc.source ELSE rd.source END AS source
    FROM retention.channels ch
    JOIN retention.observations o ON o.id = ch.observation_id AND o.checked_at = ch.checked_at
    JOIN retention.units u ON u.unit_id = ch.unit_id
    JOIN retention.jurisdictions j ON j.jurisdiction = u.jurisdiction
    JOIN retention.rules rd ON rd.jurisdiction = u.jurisdiction AND rd.category = ''
    LEFT JOIN retention.devices cam ON cam.device_id = coalesce(ch.camera_id, ch.recorder_id)
    LEFT JOIN retention.places pl ON pl.place_id = cam.place_id AND NOT pl.removed
    LEFT JOIN retention.systems sy ON sy.system_id = cam.system_id AND NOT sy.removed
    LEFT JOIN retention.rules rc ON rc.jurisdiction = u.jurisdiction AND rc.category = pl.category
    WHERE ch.active
), due AS (
    SELECT c.*, (c.acceptance_date IS NULL OR c.acceptance_date + c.required
                 <= (now() AT TIME ZONE c.timezone)::date) AS is_due
    FROM cur c
), judged AS (
    SELECT d.*, array_remove(ARRAY[
        CASE WHEN d.outcome = 'read' AND d.is_due
                  AND d.retained_s < d.required * 86400 - d.gap_threshold_s THEN 'short' END,
        CASE WHEN d.outcome = 'read' AND d.is_due AND d.max_retention_s > 0
                  AND d.max_retention_s < d.required * 86400 THEN 'configured_short' END
    ], NULL) || d.seen AS kinds
    FROM due d
), verdicts AS (
    SELECT jd.*, CASE WHEN jd.outcome <> 'read' THEN 'cannot_verify'
                      WHEN cardinality(jd.kinds) > 0 THEN 'violating'
                      WHEN NOT jd.is_due THEN 'not_yet_due'
                      ELSE 'compliant' END AS verdict
    FROM judged jd
)
UPDATE retention.channels ch
SET verdict = v.verdict, finding_kinds = v.kinds, required_days = v.required,
    requirement_source = v.source, due_date = v.acceptance_date + v.required
FROM verdicts v
WHERE ch.recorder_id = v.recorder_id AND ch.recording_token = v.recording_token
  AND (ch.verdict, ch.finding_kinds, ch.required_days, ch.requirement_source)
      IS DISTINCT FROM (v.verdict, v.kinds, v.required, v.source)
"""
)


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, readings: Sequence[Mapping[str, Any]]) -> list[Row[Any]]:
        """Judge raw readings (RAW_COLUMNS) set-based, store them as observations (their
        month's partition must exist) and advance their channels; the stored rows."""
        if not readings:
            return []
        await self.session.execute(_STAGING)
        await self.session.execute(text("TRUNCATE readings"))
        conn = await self.session.connection()
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            "readings", columns=RAW_COLUMNS, records=[tuple(r.get(c) for c in RAW_COLUMNS) for r in readings]
        )
        judged = list(await self.session.execute(_JUDGE))
        await self.session.execute(
            _ADVANCE_CHANNELS, {"ids": [r.id for r in judged], "at": [r.checked_at for r in judged]}
        )
        return judged

    async def rejudge(self) -> int:
        """Judge every active channel again from its stored spans; how many changed."""
        result = await self.session.execute(_REJUDGE)
        return int(getattr(result, "rowcount", 0) or 0)

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
    ) -> tuple[list[tuple[Observation, Channel]], int]:
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
        rows = await self.session.execute(
            select(Observation, Channel)
            .join(
                Channel,
                and_(Observation.id == Channel.observation_id, Observation.checked_at == Channel.checked_at),
            )
            .where(*cond)
            .order_by(Channel.unit_id, Channel.recorder_id, Channel.recording_token)
            .limit(limit)
            .offset(offset)
        )
        return [(o, c) for o, c in rows], total

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
