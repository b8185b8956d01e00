from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    UrlConstraints,
)
from pydantic_core import PydanticCustomError

from jifang.addresses import credential_in
from jifang.policy import LocationType
from jifang.recording import RecordingDeclaration
from services.registry.examples import DEVICE_CREATE, DEVICE_READ, DEVICE_UPDATE, examples
from services.registry.models import DeviceKind, DeviceStatus
from services.registry.pagination import SORT_DESCRIPTION, DistrictFilter, ListQuery, NameContains, SortOrder
from services.registry.validators import Input, LongText, Name, Patch


def _no_credentials(url: AnyUrl) -> AnyUrl:
    """An address is stored, returned and published as it is: credentials go in `username` and
    `password` (encrypted at rest, never returned), never in the address."""
    where = credential_in(str(url))
    if where is not None:
        raise PydanticCustomError(
            "no-credentials-in-address",
            "the address carries credentials ({where}): give them as username and password",
            {"where": where},
        )
    return url


OnvifUrl = Annotated[
    AnyUrl, UrlConstraints(allowed_schemes=["http", "https"], max_length=500), AfterValidator(_no_credentials)
]


# An ONVIF ReferenceToken (at most 64 characters), as the camera lists its presets.
PtzPresetToken = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]
PTZ_PRESET = (
    "The PTZ preset (its ONVIF token) the camera must rest at; null: none registered. A camera "
    "the platform reads away from it, poll after poll, is a suspected change of position for an "
    "officer (HRB art. 20(6), KMG art. 21(4)); cameras only"
)

RECORDING = (
    "How this channel records, where it differs from its system; null: as its system declares "
    "(gaps outside declared recording time are not interruptions, HRB art. 20(5), KMG art. 19)"
)


class DeviceCreate(Input):
    model_config = ConfigDict(json_schema_extra=examples(DEVICE_CREATE))

    kind: DeviceKind
    name: Name
    location_type: LocationType = Field(description="Where it looks: forbidden places are refused")
    onvif_address: OnvifUrl | None = Field(default=None, description="ONVIF device service URL")
    username: str | None = Field(default=None, min_length=1, max_length=100)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=200)
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    place_id: uuid.UUID | None = None
    system_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="The NVR of a camera channel")
    channel_no: int | None = Field(default=None, ge=1, le=1024)
    position_description: LongText | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    recording: RecordingDeclaration | None = Field(default=None, description=RECORDING)
    ptz_preset: PtzPresetToken | None = Field(default=None, description=PTZ_PRESET)


class DeviceUpdate(Patch):
    model_config = ConfigDict(json_schema_extra=examples(DEVICE_UPDATE))
    clearable = frozenset(
        {
            "onvif_address",
            "username",
            "password",
            "serial_number",
            "place_id",
            "system_id",
            "position_description",
            "latitude",
            "longitude",
            "recording",
            "ptz_preset",
        }
    )

    name: Name | None = None
    location_type: LocationType | None = None
    onvif_address: OnvifUrl | None = None
    username: str | None = Field(default=None, min_length=1, max_length=100)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=200)
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    place_id: uuid.UUID | None = None
    system_id: uuid.UUID | None = None
    position_description: LongText | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    recording: RecordingDeclaration | None = Field(default=None, description=RECORDING)
    ptz_preset: PtzPresetToken | None = Field(default=None, description=PTZ_PRESET)


class DeviceSort(SortOrder):
    CREATED_AT = "created_at"
    NAME = "name"
    STATUS = "status"


class DeviceQuery(ListQuery):
    unit_id: uuid.UUID | None = None
    district: DistrictFilter = None
    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    q: NameContains = None
    sort: DeviceSort = Field(default=DeviceSort.CREATED_AT, description=SORT_DESCRIPTION)


class DeviceRead(BaseModel):
    """A device as shown to callers: the credentials themselves are never included."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=examples(DEVICE_READ))

    id: uuid.UUID
    unit_id: uuid.UUID
    district: str
    kind: DeviceKind
    name: str
    location_type: LocationType
    onvif_address: str | None
    has_credentials: bool
    serial_number: str | None
    manufacturer: str | None
    model: str | None
    place_id: uuid.UUID | None
    system_id: uuid.UUID | None
    parent_id: uuid.UUID | None
    channel_no: int | None
    position_description: str | None
    latitude: float | None
    longitude: float | None
    status: DeviceStatus
    status_since: dt.datetime | None
    last_heartbeat_at: dt.datetime | None
    recording: RecordingDeclaration | None = Field(default=None, description=RECORDING)
    ptz_preset: str | None = Field(default=None, description=PTZ_PRESET)
    created_at: dt.datetime


CREDENTIALS_BATCH_MAX = 1000


class CredentialsBatchRequest(Input):
    device_ids: list[uuid.UUID] = Field(min_length=1, max_length=CREDENTIALS_BATCH_MAX)


class DeviceCredentials(BaseModel):
    """Internal API only (role `service`): what ingest needs to talk to the device."""

    device_id: uuid.UUID
    onvif_address: str | None
    username: str | None
    password: str | None


class CredentialsBatch(BaseModel):
    """Internal API only: the credentials of the devices asked for; unknown ids are listed."""

    items: list[DeviceCredentials]
    missing: list[uuid.UUID]
