"""What retention knows of a camera's footage, and the client that asks it (the gateway, before
a playback call-up).

Retention reads each recorder's own index (ONVIF Profile G); the channel's latest reading that
read it says what footage the recorder held then. A range that ends after that reading may be
recorded since: it cannot be judged from the reading, and is not refused on it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from pydantic import BaseModel, Field

from jifang.service_client import ServiceClient


class CameraFootage(BaseModel):
    """A camera's footage at its recorder's latest reading, against a requested range."""

    camera_id: uuid.UUID
    checked_at: dt.datetime = Field(description="When the recorder's index was last read")
    earliest: dt.datetime | None = Field(description="The earliest footage the recorder held then")
    latest: dt.datetime | None = Field(description="The latest footage the recorder held then")
    holds_footage: bool = Field(
        description="The recorder held footage inside the range then, or the range ends after the "
        "reading (footage recorded since cannot be judged from it)"
    )


class RetentionUnavailable(Exception):
    """Retention could not be reached, timed out or failed: the footage cannot be verified."""


class RetentionClient(ServiceClient):
    async def camera_footage(
        self, camera_id: uuid.UUID, start: dt.datetime, end: dt.datetime
    ) -> CameraFootage | None:
        """The camera's footage against ``[start, end)`` at its latest reading; None when no
        reading of it exists (never read, or its recorder could not be read)."""
        try:
            r = await self._http.get(
                f"/internal/cameras/{camera_id}/footage",
                params={"range_from": start.isoformat(), "range_to": end.isoformat()},
            )
        except httpx.HTTPError as exc:
            raise RetentionUnavailable(str(exc)) from exc
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise RetentionUnavailable(f"retention answered {r.status_code}")
        return CameraFootage.model_validate_json(r.content)
