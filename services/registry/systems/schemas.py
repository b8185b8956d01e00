from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jifang.policy import SystemType
from jifang.recording import CONTINUOUS, RecordingDeclaration
from services.registry.examples import SYSTEM_CREATE, SYSTEM_READ, SYSTEM_UPDATE, examples
from services.registry.models import Networking
from services.registry.validators import Input, Name, Patch


class Product(Input):
    name: Name
    model: str | None = Field(default=None, max_length=100)
    certificate_no: str | None = Field(
        default=None,
        max_length=100,
        description="Certificate number (认证). HRB art. 12 accepts a test report or a certificate",
    )
    test_report_no: str | None = Field(
        default=None,
        max_length=100,
        description="Test report number (检验合格). HRB art. 12 accepts a test report or a certificate",
    )
    standard: str | None = Field(
        default=None,
        max_length=100,
        description="The national, provincial, industry or local standard the product conforms to "
        "(KMG art. 15 para. 2), e.g. GB 50395-2007",
    )


class SystemCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(SYSTEM_CREATE))

    name: Name
    system_type: SystemType
    place_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    completion_date: dt.date | None = None
    acceptance_date: dt.date | None = Field(default=None, description="验收合格 date")
    design_review_date: dt.date | None = Field(default=None, description="设计方案论证 (KMG art. 14)")
    acceptance_police_notified: bool | None = Field(
        default=None,
        description="The acceptance record says the tech office was notified to attend (KMG art. 14 "
        "para. 1); null: not recorded",
    )
    in_use: bool = False
    installer_firm: str | None = Field(default=None, max_length=200)
    networking: Networking = Networking.NOT_CONNECTED
    products: list[Product] = Field(default_factory=list, max_length=500)
    recording: RecordingDeclaration = Field(
        default=CONTINUOUS,
        description="How the system records: gaps outside declared recording time are not interruptions "
        "(HRB art. 20(5), KMG art. 19)",
    )

    @model_validator(mode="after")
    def _dates(self) -> SystemCreate:
        if self.completion_date and self.acceptance_date and self.acceptance_date < self.completion_date:
            raise ValueError("acceptance_date cannot precede completion_date")
        return self


class SystemUpdate(Patch):
    model_config = ConfigDict(json_schema_extra=examples(SYSTEM_UPDATE))
    clearable = frozenset(
        {
            "completion_date",
            "acceptance_date",
            "design_review_date",
            "installer_firm",
            "acceptance_police_notified",
        }
    )

    name: Name | None = None
    place_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    completion_date: dt.date | None = None
    acceptance_date: dt.date | None = None
    design_review_date: dt.date | None = None
    acceptance_police_notified: bool | None = None
    in_use: bool | None = None
    installer_firm: str | None = Field(default=None, max_length=200)
    networking: Networking | None = None
    products: list[Product] | None = Field(default=None, max_length=500)
    recording: RecordingDeclaration | None = None


class SystemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(SYSTEM_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    name: str
    system_type: SystemType
    place_ids: list[uuid.UUID]
    completion_date: dt.date | None
    acceptance_date: dt.date | None
    design_review_date: dt.date | None
    acceptance_police_notified: bool | None = None
    in_use: bool
    installer_firm: str | None
    networking: Networking
    products: list[Product]
    recording: RecordingDeclaration
    changed_since_filing: bool
    created_at: dt.datetime
    updated_at: dt.datetime
