from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from jifang.policy import FindingRule
from services.registry.examples import (
    FINDING_DISMISS,
    FINDING_READ,
    FINDING_READ_FIRM,
    ORDER_REQUEST,
    RECOMPUTE_RESULT,
    examples,
)
from services.registry.models import FindingStatus, LiableParty
from services.registry.pagination import DistrictFilter, ListQuery
from services.registry.validators import Input, Reason


class FindingQuery(ListQuery):
    unit_id: uuid.UUID | None = None
    district: DistrictFilter = None
    article: str | None = Field(
        default=None, max_length=60, description="A cited article, e.g. 'HRB-2008 art. 26'"
    )
    status: FindingStatus | None = None
    rule: FindingRule | None = None
    firm_id: uuid.UUID | None = Field(default=None, description="Findings a firm answers for (KMG art. 16)")


class FineRead(BaseModel):
    party: str
    unit_kind: str | None = None
    min_yuan: int
    max_yuan: int


class PenaltyStep(BaseModel):
    """The step the case stands at: what the law says happens now."""

    step: int = Field(
        description="1: the first measure; 2: the deadline passed uncorrected (also when corrected after it)"
    )
    article: str
    measure: str
    fines: list[FineRead]


class LiableRead(BaseModel):
    """Who answers for the finding: the using unit, or the firm that files (KMG art. 16)."""

    party: LiableParty
    firm_id: uuid.UUID | None = Field(
        description="The registered firm; null for the unit, or for a firm the registry does not know "
        "(a system's installer as recorded, named only)"
    )
    name: str | None = Field(description="The unit's or the firm's name; null where no one is recorded")
    uscc: str | None = Field(description="The unit's or the firm's unified social credit code, where known")


class FindingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(FINDING_READ, FINDING_READ_FIRM))

    id: uuid.UUID
    unit_id: uuid.UUID
    rule: str
    subject_type: str = Field(
        description="place, system, project (a firm's: KMG art. 16), device, camera or recorder"
    )
    subject_id: uuid.UUID | None
    liable: LiableRead
    articles: list[str]
    penalty: PenaltyStep | None
    detail: str
    status: FindingStatus
    detected_at: dt.datetime
    ordered_at: dt.datetime | None = Field(description="When the office ordered the correction (first step)")
    rectification_deadline: dt.date | None
    rectified_at: dt.datetime | None = Field(description="When the breach was no longer found")
    escalated_at: dt.datetime | None = Field(description="When the deadline was found passed uncorrected")
    decided_at: dt.datetime | None = Field(description="When an officer confirmed or dismissed a suspicion")
    decided_by: str | None
    decision_reason: str | None = Field(description="Why a suspicion was dismissed")


class OrderRequest(Input):
    model_config = ConfigDict(json_schema_extra=examples(ORDER_REQUEST))

    rectification_deadline: dt.date | None = Field(
        default=None, description="Defaults to today + the pack's rectification period"
    )


class DismissRequest(Input):
    model_config = ConfigDict(json_schema_extra=examples(FINDING_DISMISS))

    reason: Reason = Field(description="Why it is no case, for the record")


class RecomputeResult(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(RECOMPUTE_RESULT))

    units: int
    opened: int
    rectified: int
    escalated: int
    active: int
    duration_ms: float
