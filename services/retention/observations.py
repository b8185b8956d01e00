"""Observations and the channels' current state: readings judged and stored, channels
advanced, retired and judged again, and the results read back.

The judgement itself is :mod:`services.retention.judge`; this module runs its statements.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Row,
    String,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.retention.judge import (
    CREATE_READINGS,
    JUDGE_READINGS,
    READING_COLUMNS,
    READINGS,
    REJUDGE_CHANNELS,
)
from services.retention.models import Channel, Observation

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


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, readings: Sequence[Mapping[str, Any]]) -> list[Row[Any]]:
        """Judge raw readings (READING_COLUMNS) set-based, store them as observations (their
        month's partition must exist) and advance their channels; the stored rows."""
        if not readings:
            return []
        await self.session.execute(CREATE_READINGS)
        await self.session.execute(text(f"TRUNCATE {READINGS.name}"))
        conn = await self.session.connection()
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            READINGS.name,
            columns=READING_COLUMNS,
            records=[tuple(r.get(c) for c in READING_COLUMNS) for r in readings],
        )
        judged = list(await self.session.execute(JUDGE_READINGS))
        await self.session.execute(
            _ADVANCE_CHANNELS, {"ids": [r.id for r in judged], "at": [r.checked_at for r in judged]}
        )
        return judged

    async def rejudge(self) -> int:
        """Judge every active channel again from its stored spans; how many changed."""
        result = await self.session.execute(REJUDGE_CHANNELS)
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

    async def camera_footage(
        self, camera_id: uuid.UUID, start: dt.datetime, end: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime | None, dt.datetime | None, bool] | None:
        """The camera's latest reading that read its recorder's index: when, the footage's ends,
        and whether it held footage inside ``[start, end)`` (or the range ends after it)."""
        o, ch = Observation, Channel
        requested = func.tstzrange(
            literal(start, DateTime(timezone=True)), literal(end, DateTime(timezone=True))
        )
        stmt = (
            select(
                o.checked_at,
                o.earliest,
                o.latest,
                or_(func.coalesce(o.footage.op("&&")(requested), False), o.checked_at < end).label("holds"),
            )
            .join(ch, and_(ch.read_observation_id == o.id, ch.read_checked_at == o.checked_at))
            .where(ch.camera_id == camera_id, ch.active)
            .order_by(o.checked_at.desc())
            .limit(1)
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row.checked_at, row.earliest, row.latest, bool(row.holds))

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
