from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from jifang.policy import LocationType
from services.registry.devices.schemas import OnvifUrl
from services.registry.examples import (
    ENROLLMENT_TOKEN_CREATE,
    ENROLLMENT_TOKEN_ISSUED,
    HEARTBEAT,
    HEARTBEAT_ACK,
    NVR_REGISTERED,
    NVR_REGISTRATION,
    examples,
)
from services.registry.models import DeviceStatus
from services.registry.validators import Input, LongText, Name


class EnrollmentTokenCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(ENROLLMENT_TOKEN_CREATE))

    label: Name | None = None
    ttl_s: int | None = Field(default=None, ge=60, le=30 * 24 * 3600)


class EnrollmentTokenIssued(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(ENROLLMENT_TOKEN_ISSUED))

    id: uuid.UUID
    unit_id: uuid.UUID
    token: str = Field(description="Shown once: hand it to the NVR's installer")
    expires_at: dt.datetime


class ChannelDeclaration(Input):
    channel_no: int = Field(ge=1, le=1024)
    name: Name
    location_type: LocationType
    onvif_address: OnvifUrl | None = None
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    position_description: LongText | None = None


class NvrRegistration(Input):
    model_config = ConfigDict(json_schema_extra=examples(NVR_REGISTRATION))

    enrollment_token: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description=(
            "The unit's one-time token, on the recorder's first registration only: it expires "
            "with its first use; a registered recorder registers again without one"
        ),
    )
    name: Name
    serial_number: str = Field(min_length=1, max_length=100)
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    onvif_address: OnvifUrl | None = None
    location_type: LocationType = LocationType.SERVER_ROOM
    heartbeat_interval_s: int | None = Field(default=None, ge=5, le=3600)
    channels: list[ChannelDeclaration] = Field(default_factory=list, max_length=256)


class NvrRegistered(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(NVR_REGISTERED))

    device_id: uuid.UUID
    unit_id: uuid.UUID
    channel_ids: dict[int, uuid.UUID]
    heartbeat_interval_s: int
    replaced: bool = Field(description="The serial number changed: recorded as device replaced")
    replacement_articles: list[str]


class Heartbeat(Input):
    model_config = ConfigDict(json_schema_extra=examples(HEARTBEAT))

    serial_number: str | None = Field(default=None, min_length=1, max_length=100)


class HeartbeatAck(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(HEARTBEAT_ACK))

    device_id: uuid.UUID
    status: DeviceStatus
    next_heartbeat_in_s: int
