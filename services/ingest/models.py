"""Ingest's own tables, in its schema ``ingest``: the fleet it watches, as learnt from the
registry's events (never from the registry's tables), and the events already applied."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jifang.db import service_metadata

SCHEMA = "ingest"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


class WatchedDevice(Base):
    __tablename__ = "watched_devices"

    device_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    onvif_address: Mapped[str | None] = mapped_column(String(500))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(50))
    # The PTZ preset the camera must rest at, as registered; null: none (its position not judged).
    ptz_preset: Mapped[str | None] = mapped_column(String(64))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AppliedEvent(Base):
    """Event ids already applied: a redelivered event changes nothing."""

    __tablename__ = "applied_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    applied_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
