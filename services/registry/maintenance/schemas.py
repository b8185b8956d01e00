from __future__ import annotations

import datetime as dt
import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.registry.examples import MAINTENANCE_WINDOW_DECLARE, MAINTENANCE_WINDOW_READ, examples
from services.registry.validators import Input, Reason


class MaintenanceWindowDeclare(Input):
    model_config = ConfigDict(json_schema_extra=examples(MAINTENANCE_WINDOW_DECLARE))

    device_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=1000,
        description="The unit's devices the work stops (an NVR covers its channels)",
    )
    starts_at: AwareDatetime = Field(description="Not in the past: a window is declared beforehand")
    ends_at: AwareDatetime
    reason: Reason = Field(description="The planned work: what, by whom")


class MaintenanceWindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(MAINTENANCE_WINDOW_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    device_ids: list[uuid.UUID]
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    declared_by: str
    declared_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancelled_by: str | None
