from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.registry.examples import UNIT_CLOSE, UNIT_CREATE, UNIT_READ, UNIT_UPDATE, examples
from services.registry.models import SecurityAffiliation
from services.registry.pagination import SORT_DESCRIPTION, DistrictFilter, ListQuery, NameContains, SortOrder
from services.registry.validators import USCC, District, Input, LongText, Name, Patch, Reason


class UnitCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(UNIT_CREATE))

    name: Name
    uscc: USCC = Field(description="统一社会信用代码, 18 characters with check digits")
    address: LongText
    district: District
    is_business: bool = Field(description="经营性单位: KMG art. 24 fines differ")
    security_affiliation: SecurityAffiliation = Field(
        description="保卫隶属关系 (HRB art. 14): the filing office follows from it"
    )
    affiliation_district: District | None = Field(
        default=None, description="The district bureau, when the affiliation is a district"
    )
    jurisdiction: str = Field(min_length=1, max_length=50, description="Policy pack id")

    @model_validator(mode="after")
    def _district_affiliation(self) -> UnitCreate:
        if self.security_affiliation == SecurityAffiliation.DISTRICT and not self.affiliation_district:
            raise ValueError("affiliation_district is required when security_affiliation is district")
        return self


class UnitUpdate(Patch):
    model_config = ConfigDict(json_schema_extra=examples(UNIT_UPDATE))
    clearable = frozenset({"affiliation_district"})

    name: Name | None = None
    address: LongText | None = None
    district: District | None = None
    is_business: bool | None = None
    security_affiliation: SecurityAffiliation | None = None
    affiliation_district: District | None = None
    jurisdiction: str | None = Field(default=None, min_length=1, max_length=50)


class UnitStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class UnitClose(Input):
    model_config = ConfigDict(json_schema_extra=examples(UNIT_CLOSE))

    reason: Reason = Field(description="Why the unit is closed (注销原因), for the record")
    closed_on: dt.date | None = Field(
        default=None, description="The day it ceased (default today, the pack's time zone); not in the future"
    )


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(UNIT_READ))

    id: uuid.UUID
    name: str
    uscc: str
    address: str
    district: str
    is_business: bool
    security_affiliation: SecurityAffiliation
    affiliation_district: str | None
    jurisdiction: str
    filing_office: str
    status: UnitStatus
    closed_on: dt.date | None = None
    closed_reason: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class UnitSort(SortOrder):
    NAME = "name"
    CREATED_AT = "created_at"
    DISTRICT = "district"


class UnitQuery(ListQuery):
    district: DistrictFilter = None
    jurisdiction: str | None = Field(default=None, max_length=50)
    q: NameContains = None
    status: Literal["active", "closed", "all"] = Field(
        default="active", description="Active units (the default), closed ones (注销), or all"
    )
    sort: UnitSort = Field(default=UnitSort.NAME, description=SORT_DESCRIPTION)
