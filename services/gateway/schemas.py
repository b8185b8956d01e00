from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CallUpRequest(BaseModel):
    """A police call-up. Every field is checked by the gateway itself, so that a request
    missing one is refused *and registered* (a refusal of a police request is a use too)."""

    camera_id: str | None = Field(default=None, description="The camera (registry id)")
    purpose: str | None = Field(default=None, max_length=500, description="用途: why the images are needed")
    case_number: str | None = Field(default=None, max_length=100, description="The case or incident number")
    destination: str | None = Field(
        default=None, max_length=300, description="去向: the workstation or agency that receives the footage"
    )
    mode: Literal["live", "playback"] = "live"
    range_from: dt.datetime | None = Field(default=None, description="Playback: start (inside retention)")
    range_to: dt.datetime | None = Field(default=None, description="Playback: end")


class GrantRead(BaseModel):
    grant_id: uuid.UUID
    use_seq: int = Field(description="The use register's record of this call-up")
    token: str = Field(description="Give it to the relay as the password or ?token=")
    stream_url: str
    path: str
    action: Literal["read", "playback"]
    expires_at: dt.datetime


class RelayAuthRequest(BaseModel):
    """MediaMTX's HTTP authentication request (authHTTPAddress), as it sends it."""

    user: str = ""
    password: str = ""
    token: str = ""
    ip: str = ""
    action: str = ""
    path: str = ""
    protocol: str = ""
    id: str | None = None
    query: str = ""


class ChainRead(BaseModel):
    records: int
    intact: bool
    head_seq: int | None = Field(description="The last record: note it to detect a later truncation")
    head_hash: str | None
    first_break_seq: int | None
    problem: str | None


class UseRead(BaseModel):
    """One use of images. A unit administrator sees that its cameras were called up, when and
    by which bureau, and how it ended; not who, why, for which case or where it went."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    recorded_at: dt.datetime
    bureau: str | None
    camera_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    mode: str
    range_from: dt.datetime | None
    range_to: dt.datetime | None
    outcome: str
    officer: str | None = None
    badge_number: str | None = None
    role: str | None = None
    purpose: str | None = None
    case_number: str | None = None
    destination: str | None = None
    client_address: str | None = None
    refusal_reason: str | None = None
    grant_id: uuid.UUID | None = None
    hash: str | None = None
    view: Literal["full", "unit"] = "full"


class UsePage(BaseModel):
    items: list[UseRead]
    total: int
    limit: int
    offset: int
