from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.registry.examples import (
    FIRM_CREATE,
    FIRM_READ,
    FIRM_UPDATE,
    PROJECT_CREATE,
    PROJECT_READ,
    examples,
)
from services.registry.models import FilingStatus, LiableParty, ProjectKind
from services.registry.pagination import SORT_DESCRIPTION, ListQuery, SortOrder
from services.registry.validators import USCC, District, Input, LongText, Name, Patch

PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# A telephone number as people write it: digits, an optional leading +, spaces, dashes, brackets.
Phone = Annotated[str, StringConstraints(min_length=5, max_length=30, pattern=r"^\+?[0-9][0-9 ()\-]*[0-9]$")]


class FirmCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(FIRM_CREATE))

    name: Name
    uscc: USCC = Field(description="统一社会信用代码, 18 characters with check digits; one firm per code")
    contact_person: PersonName
    contact_phone: Phone
    address: LongText | None = None


class FirmUpdate(Patch):
    model_config = ConfigDict(json_schema_extra=examples(FIRM_UPDATE))
    clearable = frozenset({"address"})

    name: Name | None = None
    uscc: USCC | None = Field(default=None, description="A corrected code; still one firm per code")
    contact_person: PersonName | None = None
    contact_phone: Phone | None = None
    address: LongText | None = None


class FirmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(FIRM_READ))

    id: uuid.UUID
    name: str
    uscc: str
    contact_person: str
    contact_phone: str
    address: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class FirmSort(SortOrder):
    NAME = "name"
    CREATED_AT = "created_at"


class FirmQuery(ListQuery):
    q: str | None = Field(
        default=None, max_length=100, description="The name contains it, or the code starts with it"
    )
    sort: FirmSort = Field(default=FirmSort.NAME, description=SORT_DESCRIPTION)


class ProjectCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(PROJECT_CREATE))

    system_id: uuid.UUID = Field(description="The unit's system the firm worked on")
    kind: ProjectKind = Field(
        description="设计, 施工 or 维修 (KMG art. 16: maintenance jobs are projects too)"
    )
    completion_date: dt.date = Field(
        description="项目完成之日, not in the future: the filing's 10 days run from it (KMG art. 16)"
    )
    district: District | None = Field(
        default=None,
        description="项目所在地: the county or district where the project is; default the unit's district",
    )
    description: LongText | None = None


class ProjectFiling(BaseModel):
    """The project's latest filing (a superseded one is not shown)."""

    id: uuid.UUID
    status: FilingStatus
    filed_on: dt.date | None
    days_late: int | None


class ProjectRead(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(PROJECT_READ))

    id: uuid.UUID
    firm_id: uuid.UUID
    firm_name: str
    firm_uscc: str
    unit_id: uuid.UUID
    system_id: uuid.UUID
    kind: ProjectKind
    completion_date: dt.date
    district: str
    description: str | None
    filed_by: LiableParty = Field(
        description="firm: the unit's pack has the firm file each project (KMG art. 16); unit: the "
        "using unit files its systems (HRB art. 14), and the project is a record"
    )
    office: str | None = Field(description="Where the firm files: the district's office (KMG art. 16)")
    due_date: dt.date | None = Field(
        description="The day the firm's filing is due; null where the unit files"
    )
    article: str | None
    filing: ProjectFiling | None
    created_at: dt.datetime
