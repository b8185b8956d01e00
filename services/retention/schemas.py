from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["compliant", "violating", "not_yet_due", "cannot_verify"]


class Finding(BaseModel):
    rule: str = Field(description="retention_short, records_deleted_or_altered or operation_interrupted")
    kind: str = Field(description="What was seen: short, configured_short, deleted, gap, stopped")
    articles: list[str] = Field(description="The duty article(s), then the penalty article")
    penalty: str | None = Field(description="The policy pack's penalty step")
    detail: str


class ChannelResult(BaseModel):
    """One recorder channel at one check."""

    model_config = ConfigDict(from_attributes=True)

    recorder_id: uuid.UUID
    recording_token: str
    source_name: str | None
    camera_id: uuid.UUID | None
    unit_id: uuid.UUID
    district: str | None
    category: str | None
    jurisdiction: str | None
    checked_at: dt.datetime
    verdict: Verdict | None
    reason: str | None = Field(description="Why the channel cannot be verified")
    required_days: int | None
    requirement_source: str | None = Field(description="The article (or other source) of the required days")
    retained_days: float | None = Field(description="Now minus the earliest footage")
    due_date: dt.date | None = Field(description="When the requirement applies to a recently accepted system")
    earliest: dt.datetime | None
    latest: dt.datetime | None
    recording_status: str | None
    max_retention_s: float | None = Field(description="The recorder's MaximumRetentionTime; 0: not limited")
    gaps: list[tuple[dt.datetime, dt.datetime]] | None = Field(description="Gaps inside the required window")
    findings: list[Finding] = Field(default_factory=list, description="Each citing its articles")


class ChannelPage(BaseModel):
    items: list[ChannelResult]
    total: int
    limit: int
    offset: int


class VerdictCounts(BaseModel):
    compliant: int = 0
    violating: int = 0
    not_yet_due: int = 0
    cannot_verify: int = 0


class UnitRetention(BaseModel):
    unit_id: uuid.UUID
    verdict: Verdict | None = Field(description="The worst verdict of its channels; null before any check")
    counts: VerdictCounts
    channels: list[ChannelResult]


class GroupCounts(BaseModel):
    group: str | None
    counts: VerdictCounts


class Summary(BaseModel):
    by: Literal["district", "category"]
    groups: list[GroupCounts]
