from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from jifang.policy import ManagementRuleKind
from services.registry.examples import MANAGEMENT_RULE_READ, MANAGEMENT_RULES_READ, examples


class RuleDocumentRead(BaseModel):
    """One version of a rule's document: never its content (`.../content` downloads it)."""

    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime
    uploaded_by: str
    superseded_at: dt.datetime | None = Field(description="When a newer version replaced it")


class ManagementRuleRead(BaseModel):
    """A rule the unit's pack asks for, and the unit's document of it."""

    model_config = ConfigDict(json_schema_extra=examples(MANAGEMENT_RULE_READ))

    kind: ManagementRuleKind
    name: str
    article: str = Field(description="The article that asks for it")
    on_file: bool
    document: RuleDocumentRead | None = Field(description="The current version; null when not on file")
    earlier_versions: list[RuleDocumentRead] = Field(description="The versions it replaced, newest first")


class ManagementRulesRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(MANAGEMENT_RULES_READ))

    unit_id: uuid.UUID
    jurisdiction: str
    rules: list[ManagementRuleRead] = Field(description="Every rule the unit's pack asks for, in its order")
    missing: list[ManagementRuleKind] = Field(description="The rules not on file")
