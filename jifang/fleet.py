"""The registry's views for other services, as one contract: the registry answers with these
models and :mod:`jifang.registry_client` reads them, so the two cannot drift apart.

- the **fleet view**: the whole fleet flat, a row per device with what every mirror needs of
  its unit, place and system (and a row without a device for a unit that has none), paged
  by unit;
- the **camera view**: what a call-up needs to know of one camera, in one request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jifang.recording import RecordingDeclaration


class MaintenanceSpan(BaseModel):
    """A maintenance window (not cancelled) that covers a device: declared beforehand, a cause
    for an outage in it (HRB art. 20(5), KMG art. 19)."""

    model_config = ConfigDict(frozen=True)

    window_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime


class FleetEntry(BaseModel):
    """One device with its unit, place and system; the device fields are null on the one row
    of a unit without devices."""

    model_config = ConfigDict(frozen=True)

    unit_id: uuid.UUID
    unit_name: str
    district: str
    jurisdiction: str
    device_id: uuid.UUID | None = None
    kind: str | None = None
    name: str | None = None
    onvif_address: str | None = None
    serial_number: str | None = None
    parent_id: uuid.UUID | None = None
    channel_no: int | None = None
    location_type: str | None = None
    place_id: uuid.UUID | None = None
    place_category: str | None = None
    system_id: uuid.UUID | None = None
    system_acceptance_date: dt.date | None = None
    system_networking: str | None = None
    system_recording: RecordingDeclaration | None = Field(None, description="How the system records")
    recording: RecordingDeclaration | None = Field(None, description="The channel's own; null: its system's")
    ptz_preset: str | None = Field(None, description="The PTZ preset the camera must rest at; null: none")
    maintenance: tuple[MaintenanceSpan, ...] = Field(
        (), description="The windows declared on this device that end within the footage any pack judges"
    )


# What every mirror keeps of a device, under these names; a service adds the fields it needs.
DEVICE_FIELDS = ("device_id", "unit_id", "kind", "name", "onvif_address")


def device_rows(entries: Sequence[FleetEntry], *extra: str) -> list[dict[str, Any]]:
    """The devices among ``entries`` as rows of a mirror's table: :data:`DEVICE_FIELDS` and the
    ``extra`` fields, each column named as the entry's field."""
    fields = (*DEVICE_FIELDS, *extra)
    return [{f: getattr(e, f) for f in fields} for e in entries if e.device_id is not None]


class FleetPage(BaseModel):
    items: list[FleetEntry]
    next_after_unit: uuid.UUID | None = Field(
        description="Pass as `after_unit` for the next page; null on the last page"
    )


class CameraView(BaseModel):
    """A camera (or any device) as the gateway checks it before a call-up."""

    camera_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    name: str
    location_type: str | None
    jurisdiction: str
    district: str
    reachable: bool = Field(description="An ONVIF address is on file: the platform reaches the device")
    networking: str | None = Field(description="The networking status of the device's system, if any")
    parent_id: uuid.UUID | None = None
    channel_no: int | None = None
    unit_closed: bool = Field(False, description="The unit was closed (注销): its cameras are not called up")
    forbidden_place: str | None = Field(
        None,
        description="Why cameras are forbidden where this one is, as the registry applies its pack now "
        "(the tech office's additions to the list that ends in 等 included); null where they are not",
    )
