from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from jifang.policy import ManagementRuleKind
from services.registry.examples import (
    INSPECTION_CREATE,
    INSPECTION_DUE,
    INSPECTION_READ,
    NOTICE_READ,
    examples,
)
from services.registry.models import InspectionKind, InspectionResult, NoticeStatus
from services.registry.validators import Input, LongText, Name


class Inspector(Input):
    name: Name
    badge_number: str = Field(min_length=1, max_length=50)
    signed_at: dt.datetime = Field(description="When this inspector signed the record (KMG art. 23)")


NoticeParty = Literal["unit", "producer", "seller", "maintainer"]


class Addressee(Input):
    """Whom the notice goes to: the using unit, or, about a product's or a system's quality, its
    producer, seller or maintainer (HRB art. 25 "向有关生产、销售、维修单位填发限期整改通知书")."""

    party: NoticeParty
    name: Name | None = Field(
        default=None, description="The firm's name; required unless the party is the unit"
    )

    @model_validator(mode="after")
    def _firm_named(self) -> Addressee:
        if self.party != "unit" and not self.name:
            raise ValueError("name the producer, seller or maintainer the notice goes to")
        return self


class NoticeCreate(Input):
    items: list[LongText] = Field(min_length=1, max_length=100)
    deadline: dt.date
    addressee: Addressee = Field(
        default_factory=lambda: Addressee(party="unit"), description="Default: the using unit"
    )


class InadequateRule(Input):
    """A rule on file that the inspectors found is not a real rule (a title without content, a
    copy of another unit's), with why."""

    kind: ManagementRuleKind
    note: LongText


class InspectionCreate(Input):
    # The document states the rule of _failed_needs_notice too: failed with a notice, passed without.
    model_config = ConfigDict(
        json_schema_extra={
            **examples(INSPECTION_CREATE),
            "oneOf": [
                {
                    "properties": {"result": {"const": "failed"}, "rectification": {"type": "object"}},
                    "required": ["rectification"],
                },
                {"properties": {"result": {"const": "passed"}, "rectification": {"type": "null"}}},
            ],
        }
    )

    inspected_on: dt.date
    result: InspectionResult
    inspectors: list[Inspector] = Field(min_length=1, max_length=20)
    notes: str | None = Field(default=None, max_length=5000)
    rectification: NoticeCreate | None = Field(
        default=None, description="限期整改通知书: required when the result is 'failed'"
    )
    recheck_of_notice: uuid.UUID | None = Field(
        default=None, description="The notice this inspection re-checks (HRB art. 25)"
    )
    management_rules_inadequate: list[InadequateRule] | None = Field(
        default=None,
        max_length=len(ManagementRuleKind),
        description="The unit's management rules on file that the inspectors found inadequate, each "
        "with a note: a list (even empty) is this inspection's judgement of them; left out, it did not "
        "judge them, and what an earlier inspection marked inadequate stays so while the same document "
        "is on file. Each kind once, one the unit's pack asks for, and on file (a rule not on file is "
        "recorded missing)",
    )

    @model_validator(mode="after")
    def _failed_needs_notice(self) -> InspectionCreate:
        if self.result == InspectionResult.FAILED and self.rectification is None:
            raise ValueError("a failed inspection issues a rectification notice (rectification)")
        if self.result == InspectionResult.PASSED and self.rectification is not None:
            raise ValueError("a passed inspection issues no rectification notice")
        return self

    @field_validator("management_rules_inadequate")
    @classmethod
    def _each_kind_once(cls, marks: list[InadequateRule] | None) -> list[InadequateRule] | None:
        kinds = [m.kind for m in marks or ()]
        if len(kinds) != len(set(kinds)):
            raise PydanticCustomError("each-kind-once", "each kind of rule is marked inadequate once")
        return marks


class NoticeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(NOTICE_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    inspection_id: uuid.UUID
    items: list[str]
    deadline: dt.date
    status: NoticeStatus
    addressee: Addressee
    recheck_inspection_id: uuid.UUID | None
    recheck_due: bool = Field(
        description="The deadline has passed and the pack's law asks for a re-check then (HRB art. 25); "
        "always false where it does not (KMG art. 23 para. 2: follow-up without a deadline re-check)"
    )
    article: str


class CheckedRule(BaseModel):
    """One of the unit's management rules as an inspection record found it."""

    kind: ManagementRuleKind
    name: str
    article: str
    status: Literal["on_file", "missing", "inadequate"]
    document_id: uuid.UUID | None = Field(description="The version on file then")
    sha256: str | None
    note: str | None = Field(description="Why the inspectors found it inadequate")


class InspectionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(INSPECTION_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    system_id: uuid.UUID
    kind: InspectionKind
    inspected_on: dt.date
    result: InspectionResult
    inspectors: list[Inspector]
    notes: str | None
    notice: NoticeRead | None
    management_rules: list[CheckedRule] | None = Field(
        description="The unit's management rules when the record was made, every kind its pack asks for "
        "(HRB art. 20(1)-(3); KMG art. 20, 21(1)-(2)): missing or inadequate ones are the unit's case "
        "`management_rules_missing`; null on records made before rules were kept on the platform"
    )
    articles: list[str]


class InspectionDue(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(INSPECTION_DUE))

    unit_id: uuid.UUID
    unit_name: str
    district: str
    system_id: uuid.UUID
    system_name: str
    last_inspected_on: dt.date | None
    due_date: dt.date
    overdue: bool
    article: str | None = Field(
        description="The article that sets the interval (HRB art. 24: once in every calendar year); "
        "null where the law sets none and the interval is a platform default"
    )
    platform_default: bool = Field(description="The interval is the platform's default, not the law's")
