from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.registry.examples import (
    CONFIDENTIAL_READ,
    FILING_CREATE,
    FILING_DUE,
    FILING_READ,
    FILING_RETURN,
    examples,
)
from services.registry.findings.schemas import LiableRead
from services.registry.models import FilingKind, FilingStatus
from services.registry.validators import Input


class FilingCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(FILING_CREATE))

    system_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="The systems filed, where the unit files (HRB art. 14: required); where the firm "
        "files, the project's system (the default)",
    )
    kind: FilingKind = FilingKind.INITIAL
    project_id: uuid.UUID | None = Field(
        default=None,
        description="The firm's project filed, where the pack has the firm file each project (KMG art. "
        "16: required; the filing is the project's firm's)",
    )


class MaterialRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime


class MissingMaterial(BaseModel):
    code: str
    name: str
    article: str


class SupplementNotice(BaseModel):
    """告知补正, the office's notice when it returns a filing: every material to supplement,
    anything else it names, and the date by which to supplement (HRB art. 16 para. 2: 10 days)."""

    missing: list[MissingMaterial]
    items: list[str] = Field(description="Other things to supplement or correct, in the office's words")
    supplement_deadline: dt.date | None = Field(description="Null where the pack's law sets no period")
    article: str | None


class FilingReturn(Input):
    """What the office asks the filer to supplement: the materials missing or not as required
    (default: the pre-check's missing materials) and anything else, in its words; at least one."""

    model_config = ConfigDict(json_schema_extra=examples(FILING_RETURN))

    missing_materials: list[str] | None = Field(
        default=None, max_length=50, description="Material codes to supplement; default: those missing now"
    )
    items: list[Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"\S")]] = Field(
        default_factory=list, max_length=50
    )


class FilingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(FILING_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    kind: FilingKind
    status: FilingStatus
    party: str = Field(description="Who files: unit (HRB art. 14) or firm (KMG art. 16)")
    project_id: uuid.UUID | None = Field(description="The firm's project filed (KMG art. 16)")
    firm_id: uuid.UUID | None
    firm_name: str | None
    office: str
    system_ids: list[uuid.UUID]
    due_date: dt.date | None = Field(
        description="When the filing was due (HRB art. 14: 30 days from acceptance; KMG art. 16: 10 days "
        "from the project's completion); fixed when the office accepts it"
    )
    filed_on: dt.date | None = Field(
        description="The day the filer handed in the set the office accepted (报送备案, HRB art. 28(2); "
        "到…备案, KMG art. 16): the office's time to decide is not the filer's delay. Recorded when "
        "the office accepts it, never changed afterwards; null before"
    )
    days_late: int | None = Field(
        description="Days from the due date to filed_on, 0 if in time; recorded with filed_on; null "
        "before the office accepts it, or without a due date. A fact: whether it is a case is the "
        "findings' (a filing returned and supplemented within HRB art. 16 para. 2's 10 days opens none)"
    )
    submitted_at: dt.datetime
    materials: list[MaterialRead]
    precheck_missing: list[MissingMaterial] = Field(
        description="The platform's pre-check: materials of the pack's list not yet uploaded. Only a "
        "complete set can be submitted; the office, not this check, decides (HRB art. 16)"
    )
    notice: SupplementNotice | None
    receipt_number: str | None
    filed_at: dt.datetime | None
    decided_at: dt.datetime | None
    articles: list[str]


class FilingDue(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(FILING_DUE))

    unit_id: uuid.UUID
    unit_name: str
    district: str
    system_id: uuid.UUID
    system_name: str
    project_id: uuid.UUID | None = Field(description="The firm's project, where the firm files (KMG art. 16)")
    liable: LiableRead = Field(description="Who files: the unit (HRB art. 14) or the firm (KMG art. 16)")
    due_date: dt.date
    overdue: bool
    article: str


class ConfidentialReadOut(BaseModel):
    """One read of a confidential material (HRB art. 19 para. 1: 知密人员登记)."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(CONFIDENTIAL_READ))

    filing_id: uuid.UUID
    material_id: uuid.UUID
    code: str = Field(description="The material's code in the pack (e.g. layout_plan)")
    reader: str = Field(description="Who read it (the token's subject)")
    roles: list[str]
    read_at: dt.datetime
