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
from services.registry.models import FilingKind, FilingStatus
from services.registry.validators import Input, Name


class FilingCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(FILING_CREATE))

    system_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    kind: FilingKind = FilingKind.INITIAL
    firm_name: Name | None = Field(
        default=None, description="The filing firm, where the pack has the firm file (KMG art. 16)"
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
    party: str
    firm_name: str | None
    office: str
    system_ids: list[uuid.UUID]
    due_date: dt.date | None
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
