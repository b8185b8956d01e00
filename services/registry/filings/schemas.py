from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from services.registry.examples import FILING_CREATE, FILING_DUE, FILING_READ, examples
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
    """告知补正: every missing material, and the date by which to supplement."""

    missing: list[MissingMaterial]
    supplement_deadline: dt.date
    article: str


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
    notice: SupplementNotice | None
    receipt_number: str | None
    filed_at: dt.datetime | None
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
