from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from jifang.policy import LocationType, SystemType
from services.registry.examples import PLACE_CREATE, PLACE_EXEMPTION, PLACE_READ, PLACE_UPDATE, examples
from services.registry.models import PlaceKind
from services.registry.validators import Input, LongText, Name, Patch, Reason

Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z_]+$")]
TAGS = (
    "What the place is, among the tags of its category (`GET /api/v1/policy/{pack}`), e.g. `bank` "
    "for a bank's hall in HRB art. 7(4): when its unit moves to another city, the place takes the "
    "one category there naming all of them, or is marked for re-classification"
)


class PlaceCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(PLACE_CREATE))

    name: Name
    kind: PlaceKind = PlaceKind.SITE
    category: str | None = Field(
        default=None, max_length=50, description="Mandated category code of the unit's policy pack"
    )
    vehicle_category: str | None = Field(default=None, max_length=50)
    location_type: LocationType | None = None
    description: LongText | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20, description=TAGS)


class PlaceUpdate(Patch):
    model_config = ConfigDict(json_schema_extra=examples(PLACE_UPDATE))
    clearable = frozenset({"category", "vehicle_category", "location_type", "description"})

    name: Name | None = None
    category: str | None = Field(default=None, max_length=50)
    vehicle_category: str | None = Field(default=None, max_length=50)
    location_type: LocationType | None = None
    description: LongText | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20, description=TAGS)


class PlaceExemptionSet(Input):
    model_config = ConfigDict(json_schema_extra=examples(PLACE_EXEMPTION))

    reason: Reason = Field(description="Why the system type does not apply to this place, for the record")


class PlaceExemption(BaseModel):
    """A listed system type the tech office recorded as not applying to the place (HRB art. 7
    ends its list in 等): the place's finding stops asking for it."""

    system_type: SystemType
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


class PlaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(PLACE_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    name: str
    kind: PlaceKind
    category: str | None
    category_article: str | None = None
    vehicle_category: str | None
    location_type: LocationType | None
    description: str | None
    tags: list[str] = Field(default_factory=list)
    reclassify_from: str | None = Field(
        default=None,
        description="Set when the unit moved to a pack with no truly corresponding category: the "
        "former category, for the tech office to re-classify (the place has no category meanwhile; "
        "not a legal finding). Setting a category clears it",
    )
    exemptions: list[PlaceExemption] = Field(default_factory=list)
    created_at: dt.datetime
