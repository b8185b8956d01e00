"""Retention's own tables, in its schema ``retention``.

The fleet as learnt from the registry's events (units, places, systems, devices: never the
registry's tables), the rules of the policy packs as rows (so that compliance is computed
set-based in PostgreSQL), what each check read from a recorder (``observations``: one row per
channel and check, partitioned by month and pruned by policy) and each channel's current state.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZMULTIRANGE, TSTZRANGE, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jifang.db import service_metadata
from jifang.outbox import OutboxEventMixin

SCHEMA = "retention"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


# --- the fleet, mirrored from the registry ---


class MirroredUnit(Base):
    __tablename__ = "units"

    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(100), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(50))


class MirroredPlace(Base):
    __tablename__ = "places"

    place_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    category: Mapped[str | None] = mapped_column(String(50))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class MirroredSystem(Base):
    __tablename__ = "systems"

    system_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    acceptance_date: Mapped[dt.date | None] = mapped_column(Date)
    # How it is declared to record (jifang.recording.RecordingDeclaration); null: continuously.
    recording: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class MirroredDevice(Base):
    __tablename__ = "devices"

    device_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    onvif_address: Mapped[str | None] = mapped_column(String(500))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    channel_no: Mapped[int | None] = mapped_column(Integer)
    place_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    system_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The channel's own recording declaration; null: its system's.
    recording: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The checker's schedule: each recorder once per interval, spread over it.
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MirroredMaintenanceWindow(Base):
    """A maintenance window a unit declared beforehand (not cancelled): gaps in the footage of
    its devices (an NVR's: all its channels) inside it are not interruptions."""

    __tablename__ = "maintenance_windows"

    window_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    device_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    period: Mapped[Any] = mapped_column(TSTZRANGE)


class AppliedEvent(Base):
    """Registry event ids already applied: a redelivered event changes nothing."""

    __tablename__ = "applied_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    applied_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- the packs' rules, as rows (reloaded from the packs at start-up) ---


class RetentionRule(Base):
    """Required days per jurisdiction; ``category`` '' is the pack's general rule."""

    __tablename__ = "rules"

    jurisdiction: Mapped[str] = mapped_column(String(50), primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # the citation, e.g. "HRB-2008 art. 20(7)"


class JurisdictionRule(Base):
    """What a finding cites, and the thresholds of one jurisdiction."""

    __tablename__ = "jurisdictions"

    jurisdiction: Mapped[str] = mapped_column(String(50), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(50))
    gap_threshold_s: Mapped[float] = mapped_column(Float)
    deletion_slack_s: Mapped[float] = mapped_column(Float)
    stale_s: Mapped[float] = mapped_column(Float)
    short_articles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    short_penalty: Mapped[str | None] = mapped_column(String(50))
    deleted_articles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    deleted_penalty: Mapped[str | None] = mapped_column(String(50))
    interrupted_articles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    interrupted_penalty: Mapped[str | None] = mapped_column(String(50))


# --- what the checks saw, and what it means ---


class Observation(Base):
    """One channel of one recorder at one check: what the recorder's index said (or why it
    could not be read), and the verdict computed from it. Partitioned by month of
    ``checked_at``; old partitions are dropped by policy."""

    __tablename__ = "observations"
    __table_args__: Any = (
        Index("ix_observations_channel", "recorder_id", "recording_token", "checked_at"),
        {"postgresql_partition_by": "RANGE (checked_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    check_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recorder_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recording_token: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str | None] = mapped_column(String(200))
    camera_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # read: the index answered; cannot_verify: see reason
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    # Footage of the video track(s), in platform time (the recorder's clock offset removed).
    earliest: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    latest: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    footage: Mapped[Any] = mapped_column(TSTZMULTIRANGE, nullable=True)
    recording_status: Mapped[str | None] = mapped_column(String(20))
    max_retention_s: Mapped[float | None] = mapped_column(Float)  # 0: not limited
    # The verdict, computed set-based once the check's rows are in.
    district: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(50))
    jurisdiction: Mapped[str | None] = mapped_column(String(50))
    required_days: Mapped[int | None] = mapped_column(Integer)
    requirement_source: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(20))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    retained_days: Mapped[float | None] = mapped_column(Float)
    gaps: Mapped[Any] = mapped_column(JSONB, nullable=True)
    # What was found (short, configured_short, deleted_earliest, deleted_footage, gap,
    # stopped) and the figures its detail cites; the articles come from the pack.
    finding_kinds: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    deleted_s: Mapped[float | None] = mapped_column(Float)
    interruptions: Mapped[int | None] = mapped_column(Integer)
    previous_earliest: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    previous_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Channel(Base):
    """A recorder channel's current state: its latest evaluated observation."""

    __tablename__ = "channels"
    __table_args__ = (Index("ix_channels_scope", "district", "category", "verdict"),)

    recorder_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    recording_token: Mapped[str] = mapped_column(String(200), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    camera_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    district: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(50))
    jurisdiction: Mapped[str] = mapped_column(String(50))
    # The current judgement: that of the latest observation, re-judged as days pass (a
    # recently accepted system falls due) and when the packs' rules change.
    verdict: Mapped[str] = mapped_column(String(20))
    finding_kinds: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    required_days: Mapped[int | None] = mapped_column(Integer)
    requirement_source: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    observation_id: Mapped[int] = mapped_column(BigInteger)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The latest observation that read the index: what the next check compares with (a check
    # that could not read the recorder in between must not hide a deletion).
    read_observation_id: Mapped[int | None] = mapped_column(BigInteger)
    read_checked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # False once the recorder no longer lists this recording, or left the registry.
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxEvent(OutboxEventMixin, Base):
    __tablename__ = "outbox"
