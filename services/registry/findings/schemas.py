from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from jifang.policy import FindingRule
from services.registry.examples import FINDING_READ, RECOMPUTE_RESULT, WARN_REQUEST, examples
from services.registry.models import FindingStatus
from services.registry.pagination import DistrictFilter, ListQuery
from services.registry.validators import Input


class FindingQuery(ListQuery):
    unit_id: uuid.UUID | None = None
    district: DistrictFilter = None
    article: str | None = Field(
        default=None, max_length=60, description="A cited article, e.g. 'HRB-2008 art. 26'"
    )
    status: FindingStatus | None = None
    rule: FindingRule | None = None


class FineRead(BaseModel):
    party: str
    unit_kind: str | None = None
    min_yuan: int
    max_yuan: int


class PenaltyStep(BaseModel):
    """The step the case stands at: what the law says happens now."""

    step: int = Field(description="1: first measure; 2: after the deadline passed unrectified")
    article: str
    measure: str
    fines: list[FineRead]


class FindingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(FINDING_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    rule: str
    subject_type: str
    subject_id: uuid.UUID | None
    articles: list[str]
    penalty: PenaltyStep | None
    detail: str
    status: FindingStatus
    detected_at: dt.datetime
    warned_at: dt.datetime | None
    rectification_deadline: dt.date | None
    rectified_at: dt.datetime | None
    escalated_at: dt.datetime | None


class WarnRequest(Input):
    model_config = ConfigDict(json_schema_extra=examples(WARN_REQUEST))

    rectification_deadline: dt.date | None = Field(
        default=None, description="Defaults to today + the pack's rectification period"
    )


class RecomputeResult(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(RECOMPUTE_RESULT))

    units: int
    opened: int
    rectified: int
    escalated: int
    active: int
    duration_ms: float
