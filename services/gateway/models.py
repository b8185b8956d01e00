"""The gateway's own tables, in its schema ``gateway``: the registers of uses of images (使用登记,
HRB art. 20(3), KMG art. 21(2)), the police's and each unit's, append-only and hash-chained
(``gateway.install_hash_chain``, migration 0003); and the readers the relay admitted on each
grant, while it lasts (migration 0004)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ARRAY, BigInteger, DateTime, FetchedValue, Index, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jifang.db import service_metadata

SCHEMA = "gateway"
# The role the service acts as: SELECT and INSERT on the registers, nothing else.
SERVICE_ROLE = "jifang_gateway"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


class UseRecord(Base):
    """One use of images, granted or refused. ``hash`` covers this record and the previous
    record's hash: altering, removing or reordering any record breaks the chain after it."""

    __tablename__ = "use_register"

    # Numbered by the database's trigger (gateway.use_register_seq), in chain order.
    seq: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    officer: Mapped[str] = mapped_column(String(200))  # the token's subject
    badge_number: Mapped[str | None] = mapped_column(String(50))
    bureau: Mapped[str | None] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str | None] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(100), index=True)
    destination: Mapped[str | None] = mapped_column(Text)
    camera_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    mode: Mapped[str] = mapped_column(String(10))  # live | playback
    range_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    range_to: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_address: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(10))  # granted | refused
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class UnitUseRecord(Base):
    """One use of a unit's footage, as the unit registers it (KMG art. 21(2): 录制时间、录制人员、
    用途和去向). Each unit's records are a chain of their own: ``hash`` covers this record and the
    previous hash of the same unit's chain, so each unit's register verifies on its own."""

    __tablename__ = "unit_use_register"
    __table_args__ = (Index("ix_unit_use_register_chain", "unit_id", "seq"),)

    # Numbered by the database's trigger (gateway.unit_use_register_seq), in each chain's order.
    seq: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # the database's clock
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    registered_by: Mapped[str] = mapped_column(Text)  # the token's subject, as long as it is
    footage_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    footage_to: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    camera_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    personnel: Mapped[list[str]] = mapped_column(ARRAY(Text))
    purpose: Mapped[str] = mapped_column(Text)
    destination: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class GrantReader(Base):
    """One reader the relay admitted on a grant (MediaMTX's session id, or the reader's address
    for its playback server): a grant admits at most ``GATEWAY_GRANT_MAX_READERS`` over its
    lifetime. Not a register: removed once the grant has expired."""

    __tablename__ = "grant_readers"

    grant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reader: Mapped[str] = mapped_column(String(200), primary_key=True)
    admitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
