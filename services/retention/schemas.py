from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Verdict(StrEnum):
    """A channel's verdict: kept as long as its pack requires, not (a finding says why), not
    required yet (a system accepted fewer days ago than required), or not verifiable from the
    recorder (the reason says why)."""

    COMPLIANT = "compliant"
    VIOLATING = "violating"
    NOT_YET_DUE = "not_yet_due"
    CANNOT_VERIFY = "cannot_verify"


class SummaryGrouping(StrEnum):
    """What the city-wide counts are grouped by."""

    DISTRICT = "district"
    CATEGORY = "category"


# A Harbin bank's NVR (place category hrb-7-4) keeping 10 days of the 15 HRB art. 20(7) requires,
# and the same unit's lobby NVR keeping 40: the examples of every response.
_CHECKED_AT = "2026-11-23T03:12:09.418000+08:00"
_SHORT: dict[str, Any] = {
    "recorder_id": "5b0d7f2e-8c1a-4e7b-9a53-2f6c1d0e9b41",
    "recording_token": "Recording_3",
    "source_name": "VideoSource_3",
    "camera_id": "a3e1c9d4-6b2f-4f80-8d17-0c5e9b7a2f63",
    "unit_id": "0f4c2a9e-1d3b-4c65-b8a7-9e2d5f1c7a30",
    "district": "南岗区",
    "category": "hrb-7-4",
    "jurisdiction": "harbin-2008",
    "checked_at": _CHECKED_AT,
    "verdict": "violating",
    "reason": None,
    "required_days": 15,
    "requirement_source": "HRB-2008 art. 20(7)",
    "retained_days": 10.0,
    "due_date": None,
    "earliest": "2026-11-13T03:11:52+08:00",
    "latest": "2026-11-23T03:11:58+08:00",
    "recording_status": "Recording",
    "max_retention_s": 864000.0,
    "gaps": [],
    "findings": [
        {
            "rule": "retention_short",
            "kind": "short",
            "articles": ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"],
            "penalty": "hrb-28",
            "suspected": False,
            "detail": "footage kept 10.0 days of the 15 required",
        },
        {
            "rule": "retention_short",
            "kind": "configured_short",
            "articles": ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"],
            "penalty": "hrb-28",
            "suspected": False,
            "detail": "the recorder is set to keep 10.0 days of the 15 required",
        },
    ],
}
_KEPT: dict[str, Any] = {
    **_SHORT,
    "recorder_id": "9e6a1b3c-2f4d-4a8e-b5c7-d1f0e2a3b4c5",
    "recording_token": "Recording_1",
    "source_name": "VideoSource_1",
    "camera_id": "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
    "verdict": "compliant",
    "retained_days": 40.0,
    "earliest": "2026-10-14T03:10:41+08:00",
    "max_retention_s": 0.0,
    "findings": [],
}


def _counts(compliant: int, violating: int, not_yet_due: int, cannot_verify: int) -> dict[str, Any]:
    return {
        "compliant": compliant,
        "violating": violating,
        "not_yet_due": not_yet_due,
        "cannot_verify": cannot_verify,
    }


class Finding(BaseModel):
    rule: str = Field(description="retention_short, records_deleted_or_altered or operation_interrupted")
    kind: str = Field(description="What was seen: short, configured_short, deleted, gap, stopped")
    articles: list[str] = Field(
        description="The duty article(s), then the penalty article; a suspicion cites the duty only"
    )
    penalty: str | None = Field(description="The policy pack's penalty step; null for a suspicion")
    suspected: bool = Field(
        description="Deleted footage and interruptions are suspicions for the tech office, not "
        "offences: what was seen is measured, why it happened a person judges (ruling 1)"
    )
    detail: str


class ChannelResult(BaseModel):
    """One recorder channel at one check."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_SHORT]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SHORT], "total": 1, "limit": 50, "offset": 0}]}
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": _SHORT["unit_id"],
                    "verdict": "violating",
                    "counts": _counts(1, 1, 0, 0),
                    "channels": [_KEPT, _SHORT],
                }
            ]
        }
    )

    unit_id: uuid.UUID
    verdict: Verdict | None = Field(description="The worst verdict of its channels; null before any check")
    counts: VerdictCounts
    channels: list[ChannelResult]


class GroupCounts(BaseModel):
    group: str | None
    counts: VerdictCounts


class Summary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "district",
                    "groups": [
                        {"group": "南岗区", "counts": _counts(212, 9, 4, 3)},
                        {"group": "道里区", "counts": _counts(187, 2, 0, 6)},
                    ],
                }
            ]
        }
    )

    by: SummaryGrouping
    groups: list[GroupCounts]
