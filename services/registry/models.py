"""The registry's tables, in its own schema ``registry``."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jifang.db import service_metadata
from jifang.outbox import OutboxEventMixin
from jifang.policy import LocationType, ManagementRuleKind, SystemType

SCHEMA = "registry"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        name=cls.__name__.lower(),
    )


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


# A system's recording declaration until the unit declares another.
CONTINUOUS_SQL = text("""'{"mode": "continuous", "schedule": []}'::jsonb""")


def _uuid_pk() -> Any:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class SecurityAffiliation(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    NONE = "none"


class PlaceKind(StrEnum):
    SITE = "site"
    RESIDENTIAL = "residential"
    VEHICLE = "vehicle"


class Networking(StrEnum):
    CONNECTED = "connected"
    INTERFACE_RESERVED = "interface_reserved"
    REFUSED = "refused"
    NOT_CONNECTED = "not_connected"


class DeviceKind(StrEnum):
    NVR = "nvr"
    CAMERA = "camera"


class DeviceStatus(StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


class FindingStatus(StrEnum):
    """A case's walk. A measured fact opens `open`; the office orders its correction by a
    deadline (`ordered`: 警告，责令限期整改 in Harbin, 责令限期改正 in Kunming); corrected by then it
    is `rectified`, not corrected by then `escalated` (liability fixed at the deadline), and
    corrected after it `corrected_late`, keeping the fine range for a person to decide. A
    suspicion (ruling 1) opens `suspected`: only an officer ends it, confirming it (`confirmed`
    where the penalty is at once, HRB art. 29; `open` for an order to correct, KMG art. 25) or
    dismissing it with a reason (`dismissed`)."""

    SUSPECTED = "suspected"
    OPEN = "open"
    ORDERED = "ordered"
    ESCALATED = "escalated"
    RECTIFIED = "rectified"
    CORRECTED_LATE = "corrected_late"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


ACTIVE_FINDING_STATUSES = (
    FindingStatus.SUSPECTED,
    FindingStatus.OPEN,
    FindingStatus.ORDERED,
    FindingStatus.ESCALATED,
)


class FilingStatus(StrEnum):
    """draft -> submitted (a complete set) -> filed (the office accepts: a receipt) or returned
    (the office's notice of all to supplement) -> submitted again ...; filed -> superseded."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    FILED = "filed"
    SUPERSEDED = "superseded"


class FilingKind(StrEnum):
    INITIAL = "initial"
    CHANGE = "change"


class ProjectKind(StrEnum):
    """What a firm did on a system (KMG art. 16: "从事技防工程设计、施工和维修的单位")."""

    DESIGN = "design"
    CONSTRUCTION = "construction"
    MAINTENANCE = "maintenance"


class LiableParty(StrEnum):
    """Who answers for a finding: the using unit, or a firm (KMG art. 16: the firm files)."""

    UNIT = "unit"
    FIRM = "firm"


class InspectionResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class InspectionKind(StrEnum):
    ANNUAL = "annual"
    RECHECK = "recheck"


class NoticeStatus(StrEnum):
    OPEN = "open"
    RECTIFIED = "rectified"
    NOT_RECTIFIED = "not_rectified"


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        Index("ix_units_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        # One active unit per code: a unit closed (注销) keeps its code in its history, and the
        # code may be registered again (a unit created by mistake, closed and created anew).
        Index("uq_units_uscc_active", "uscc", unique=True, postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    address: Mapped[str] = mapped_column(String(500))
    district: Mapped[str] = mapped_column(String(100), index=True)
    is_business: Mapped[bool] = mapped_column(Boolean)
    security_affiliation: Mapped[SecurityAffiliation] = mapped_column(_enum(SecurityAffiliation))
    affiliation_district: Mapped[str | None] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(50), index=True)
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()
    # Closed (注销): the records stay, read-only; the platform stops watching and judging.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(200))


class Place(Base):
    __tablename__ = "places"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind))
    category: Mapped[str | None] = mapped_column(String(50))
    vehicle_category: Mapped[str | None] = mapped_column(String(50))
    location_type: Mapped[LocationType | None] = mapped_column(_enum(LocationType))
    description: Mapped[str | None] = mapped_column(Text)
    # What the place is, among its category's tags (a bank's hall: [bank]): how it maps when its
    # unit moves to another city's pack.
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list, server_default="{}")
    # Set when its unit moved to a pack without a truly corresponding category: the former
    # category, for the tech office to re-classify (not a legal finding).
    reclassify_from: Mapped[str | None] = mapped_column(String(200))
    # System types the tech office recorded as not applying here ("等", HRB art. 7), by type:
    # {"reason", "recorded_by", "recorded_at"}.
    exemptions: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[dt.datetime] = _now()


system_places = Table(
    "system_places",
    Base.metadata,
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TechSystem(Base):
    """A technical-prevention system (技防系统) of one type."""

    __tablename__ = "systems"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    system_type: Mapped[SystemType] = mapped_column(_enum(SystemType))
    completion_date: Mapped[dt.date | None] = mapped_column(Date)
    acceptance_date: Mapped[dt.date | None] = mapped_column(Date)
    design_review_date: Mapped[dt.date | None] = mapped_column(Date)
    # KMG art. 14 para. 1: "技防系统竣工验收时，应当通知公安机关技防管理机构参加" — whether the
    # acceptance record says the office was notified (None: not recorded).
    acceptance_police_notified: Mapped[bool | None] = mapped_column(Boolean)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    installer_firm: Mapped[str | None] = mapped_column(String(200))
    networking: Mapped[Networking] = mapped_column(_enum(Networking))
    # [{"name": ..., "model": ..., "certificate_no": ... or null}]
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # Set when a filed system changes: HRB art. 17 wants a new filing.
    changed_since_filing: Mapped[bool] = mapped_column(Boolean, default=False)
    # How it is declared to record (jifang.recording.RecordingDeclaration): gaps outside
    # declared recording time are not interruptions.
    recording: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=lambda: {"mode": "continuous", "schedule": []}, server_default=CONTINUOUS_SQL
    )
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class Firm(Base):
    """A design, construction or maintenance firm (技防工程设计、施工、维修单位). Not a unit's
    record: one firm works for many units, so it is registered once, by its code."""

    __tablename__ = "firms"
    __table_args__ = (
        Index("ix_firms_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    contact_person: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class FirmProject(Base):
    """A firm's project: a design, construction or maintenance job on one system of a unit,
    completed on a day, in a district (KMG art. 16: filed per project, "到项目所在地县（市、区）
    公安机关技防管理机构备案")."""

    __tablename__ = "firm_projects"

    id: Mapped[uuid.UUID] = _uuid_pk()
    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id"), index=True)
    # The system's unit, kept on the project: a unit administrator sees its own units' projects.
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    system_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProjectKind] = mapped_column(_enum(ProjectKind))
    completion_date: Mapped[dt.date] = mapped_column(Date)
    district: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()


class Device(Base):
    """An NVR or a camera (a channel, standalone or under an NVR)."""

    __tablename__ = "devices"
    __table_args__ = (
        Index("ix_devices_unit_id_created_at", "unit_id", "created_at"),
        Index("ix_devices_created_at_id", "created_at", "id"),
        Index("ix_devices_status", "status"),
        Index("ix_devices_name_id", "name", "id"),
        Index("ix_devices_district_created_at", "district", "created_at", "id"),
        # "name contains" searches (pg_trgm)
        Index(
            "ix_devices_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    # The unit's district, kept on the device: police lists filter fleets by district.
    district: Mapped[str] = mapped_column(String(100))
    system_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("systems.id", ondelete="SET NULL"))
    place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind))
    channel_no: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    onvif_address: Mapped[str | None] = mapped_column(String(500))
    username: Mapped[str | None] = mapped_column(String(100))
    password_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    serial_number: Mapped[str | None] = mapped_column(String(100))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    location_type: Mapped[LocationType] = mapped_column(_enum(LocationType))
    position_description: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    status: Mapped[DeviceStatus] = mapped_column(_enum(DeviceStatus), default=DeviceStatus.UNKNOWN)
    status_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_interval_s: Mapped[int | None] = mapped_column(Integer)
    # The `nvr` token subject this NVR registered with.
    enrolled_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    # A channel's own recording declaration; null: as its system declares.
    recording: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    # The PTZ preset (its ONVIF token) a camera must rest at; null: none registered. A camera
    # away from it is a suspected change of position (HRB art. 20(6), KMG art. 21(4)).
    ptz_preset: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class MaintenanceWindow(Base):
    """Planned work a unit declared beforehand on some of its devices: a cause, so an outage
    inside it is not an interruption "without cause" (HRB art. 20(5) 无故, KMG art. 19; ruling 1).
    Never edited; cancelled before it starts, or kept as declared."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_unit_ends", "unit_id", "ends_at"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    device_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[dt.datetime] = _now()
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str | None] = mapped_column(String(200))


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        # One active finding per rule and subject; a rectified one may recur as a new finding.
        Index(
            "uq_findings_active",
            "unit_id",
            "rule",
            "subject_key",
            unique=True,
            postgresql_where=text("status IN ('suspected', 'open', 'ordered', 'escalated')"),
        ),
        Index("ix_findings_status_rule", "status", "rule"),
        Index("ix_findings_articles", "articles", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(50))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    subject_key: Mapped[str] = mapped_column(String(200))
    articles: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    penalty: Mapped[str | None] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[FindingStatus] = mapped_column(_enum(FindingStatus), default=FindingStatus.OPEN)
    detected_at: Mapped[dt.datetime] = _now()
    ordered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rectification_deadline: Mapped[dt.date | None] = mapped_column(Date)
    rectified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # An officer's decision on a suspicion: who, when, and (for a dismissal) why.
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Who answers for it: the unit, or a firm (KMG art. 16). A firm's name and code as found by
    # the last sweep; an unregistered firm (a system's installer) has a name and no id.
    liable_party: Mapped[LiableParty] = mapped_column(
        _enum(LiableParty), default=LiableParty.UNIT, server_default=LiableParty.UNIT.value
    )
    liable_firm_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("firms.id"), index=True)
    liable_name: Mapped[str | None] = mapped_column(String(200))
    liable_uscc: Mapped[str | None] = mapped_column(String(18))
    updated_at: Mapped[dt.datetime] = _now()


filing_systems = Table(
    "filing_systems",
    Base.metadata,
    Column("filing_id", ForeignKey("filings.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class FilingRecord(Base):
    """A filing (备案) of one or more systems with the police tech office."""

    __tablename__ = "filings"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FilingKind] = mapped_column(_enum(FilingKind))
    status: Mapped[FilingStatus] = mapped_column(_enum(FilingStatus))
    party: Mapped[str] = mapped_column(String(10))
    firm_name: Mapped[str | None] = mapped_column(String(200))
    # The project filed, where the firm files per project (KMG art. 16).
    project_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("firm_projects.id", ondelete="SET NULL"), index=True
    )
    office: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    submitted_at: Mapped[dt.datetime] = _now()
    # Recorded when the office accepts it, never changed afterwards: the day the filer handed in
    # the set accepted (报送备案, HRB art. 28(2)), and the days after the due date (0: in time).
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    days_late: Mapped[int | None] = mapped_column(Integer)
    supplement_deadline: Mapped[dt.date | None] = mapped_column(Date)
    missing_materials: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    # The office's notice when it returns a filing: what else to supplement, in its words.
    supplement_items: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    receipt_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    filed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class FilingMaterial(Base):
    __tablename__ = "filing_materials"

    id: Mapped[uuid.UUID] = _uuid_pk()
    filing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("filings.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[dt.datetime] = _now()
    uploaded_by: Mapped[str] = mapped_column(String(200))


class ForbiddenPlaceAddition(Base):
    """A place type the tech office added to a pack's forbidden-camera list, which ends in 等
    (HRB art. 19 para. 2, KMG art. 7; ruling 5): effective at once, with its reason."""

    __tablename__ = "forbidden_place_additions"

    jurisdiction: Mapped[str] = mapped_column(String(50), primary_key=True)
    location_type: Mapped[LocationType] = mapped_column(_enum(LocationType), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[dt.datetime] = _now()


class ConfidentialRead(Base):
    """Who read which confidential material, when (HRB art. 18, 19 para. 1 "控制知密人员范围，对知密
    人员进行登记"; KMG art. 18): written in the reading request's own transaction, so nothing is
    handed out unrecorded."""

    __tablename__ = "confidential_reads"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    filing_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    material_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    code: Mapped[str] = mapped_column(String(50))
    reader: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    read_at: Mapped[dt.datetime] = _now()


class FilingMaterialBlob(Base):
    """A material's bytes, under its ``FilingMaterial.storage_key``: in the database, so every
    registry replica serves them and the database's backups hold them. A table of its own, so
    that listing a filing's materials never reads their content."""

    __tablename__ = "filing_material_blobs"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _now()


class Inspection(Base):
    """An inspection record: the annual full function check, or a re-check."""

    __tablename__ = "inspections"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    system_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InspectionKind] = mapped_column(_enum(InspectionKind))
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[InspectionResult] = mapped_column(_enum(InspectionResult))
    # [{"name": ..., "badge_number": ..., "signed_at": ...}]
    inspectors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    notes: Mapped[str | None] = mapped_column(Text)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()
    # The unit's management rules as the record found them (HRB art. 20(1)-(3); KMG art. 20,
    # 21(1)-(2)), one entry per kind its pack names: {"kind", "name", "article", "status"
    # (on_file, missing, inadequate), "document_id", "sha256", "note"}. Null on records made
    # before rules were kept on the platform.
    management_rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)


class ManagementRuleDocument(Base):
    """A unit's management rule (管理制度) of one kind, as a document: the current version, and
    the versions it replaced with who uploaded each and when (``superseded_at`` set). The bytes
    are in ``filing_material_blobs`` under ``storage_key``."""

    __tablename__ = "management_rule_documents"
    __table_args__ = (
        # One current version per unit and kind.
        Index(
            "uq_management_rule_documents_current",
            "unit_id",
            "kind",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ManagementRuleKind] = mapped_column(_enum(ManagementRuleKind))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[dt.datetime] = _now()
    uploaded_by: Mapped[str] = mapped_column(String(200))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RectificationNotice(Base):
    """限期整改通知书: what to fix, by when; re-checked when the deadline expires."""

    __tablename__ = "rectification_notices"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    items: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # Whom it is addressed to: HRB art. 24 "督促使用单位和维修单位进行整改"; art. 25 "向有关生产、
    # 销售、维修单位填发限期整改通知书" about a product's or a system's quality.
    addressee_party: Mapped[str] = mapped_column(String(20), default="unit", server_default="unit")
    addressee_name: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[NoticeStatus] = mapped_column(_enum(NoticeStatus), default=NoticeStatus.OPEN)
    recheck_inspection_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    issued_at: Mapped[dt.datetime] = _now()


class EnrollmentToken(Base):
    """A one-time token a unit admin issues so that one NVR can register itself."""

    __tablename__ = "enrollment_tokens"

    id: Mapped[uuid.UUID] = _uuid_pk()
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _now()
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_subject: Mapped[str | None] = mapped_column(String(200))
    device_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class OutboxEvent(OutboxEventMixin, Base):
    __tablename__ = "outbox"


class AppliedEvent(Base):
    """Events of other services already applied (retention results): a redelivery changes
    nothing."""

    __tablename__ = "applied_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    applied_at: Mapped[dt.datetime] = _now()


class DeviceReplacement(Base):
    """A device that came back with a new serial number (HRB art. 20(6), KMG art. 21(4))."""

    __tablename__ = "device_replacements"

    id: Mapped[uuid.UUID] = _uuid_pk()
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    old_serial_number: Mapped[str | None] = mapped_column(String(100))
    new_serial_number: Mapped[str] = mapped_column(String(100))
    articles: Mapped[list[str]] = mapped_column(ARRAY(String(60)))
    detected_at: Mapped[dt.datetime] = _now()
