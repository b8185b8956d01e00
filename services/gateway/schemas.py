from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from jifang.text import VISIBLE_TEXT_PATTERN, shows_nothing

CAMERA_EXAMPLE = "3f2b8c1e-5d4a-4e6f-9a7b-2c1d0e9f8a6b"
GRANT_EXAMPLE = "9c4e2a71-0b3d-4f85-a6e2-7d1c5b8f3e90"
UNIT_EXAMPLE = "5a7d9e13-2c4b-4d6f-8e1a-3b5c7d9f1e24"
RECORDED_EXAMPLE = "2026-11-23T09:15:02.481+00:00"
HASH_EXAMPLE = "4f6c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _written_out(value: object) -> object:
    # Pydantic would also read a number of seconds since 1970 ("0.5") as a date-time.
    if isinstance(value, str) and _DATE_AND_TIME.match(value):
        return value
    raise ValueError("Give a date and time with its UTC offset (RFC 3339), e.g. 2026-11-23T09:00:00+08:00")


def _held_by_the_database(value: dt.datetime | None) -> dt.datetime | None:
    """An instant the database can take: its UTC date between the years 1 and 9999 (the first
    of January of the year 1 at 00:30+01:00 is not)."""
    if value is not None and value.tzinfo is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise PydanticCustomError(
                "date-range", "The date in UTC must lie between the years 1 and 9999"
            ) from exc
    return value


# A date-time as the document states it (RFC 3339): written out, with its UTC offset.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_written_out), AfterValidator(_held_by_the_database)]
# Text that shows something (not only blanks and invisible characters such as the zero-width
# space), without NUL characters (no text column holds one).
_VISIBLE_TEXT = VISIBLE_TEXT_PATTERN
_REQUIRED_TO_BE_GRANTED = ("camera_id", "purpose", "case_number", "destination")


def _what_a_grant_needs(schema: dict[str, Any]) -> None:
    """The document states what a call-up must hold to be granted: the camera's id and a
    purpose, case number and destination that show something; a playback's range, and no range
    for a live call-up. The model itself takes less, so that a request missing any reaches the
    gateway and its refusal is registered."""
    properties = schema["properties"]
    for name in _REQUIRED_TO_BE_GRANTED:
        field = properties[name]
        field.pop("default", None)
        field.update(next(option for option in field.pop("anyOf") if option.get("type") == "string"))
        field.update({"format": "uuid"} if name == "camera_id" else {"pattern": _VISIBLE_TEXT})
    schema["required"] = list(_REQUIRED_TO_BE_GRANTED)
    schema["if"] = {"properties": {"mode": {"const": "playback"}}, "required": ["mode"]}
    date_time = {"type": "string", "format": "date-time"}
    schema["then"] = {
        "required": ["range_from", "range_to"],
        "properties": {"range_from": date_time, "range_to": date_time},
    }
    # Live (the default): now, and nothing else.
    schema["else"] = {"properties": {"range_from": {"type": "null"}, "range_to": {"type": "null"}}}
    schema["examples"] = [
        {
            "camera_id": CAMERA_EXAMPLE,
            "purpose": "追查盗窃嫌疑人",
            "case_number": "A2301032026110001",
            "destination": "南岗分局刑侦大队 3号工作站",
            "mode": "live",
        }
    ]


class CallUpRequest(BaseModel):
    """A police call-up. Every field is checked by the gateway itself, so that a request
    missing one is refused *and registered* (a refusal of a police request is a use too)."""

    model_config = ConfigDict(json_schema_extra=_what_a_grant_needs)

    camera_id: str | None = Field(default=None, description="The camera (registry id)")
    purpose: str | None = Field(default=None, max_length=500, description="用途: why the images are needed")
    case_number: str | None = Field(default=None, max_length=100, description="The case or incident number")
    destination: str | None = Field(
        default=None, max_length=300, description="去向: the workstation or agency that receives the footage"
    )
    mode: Literal["live", "playback"] = "live"
    range_from: dt.datetime | None = Field(
        default=None,
        description="Playback: the start, with its UTC offset; any time the recorder still holds footage "
        "of. Live: none (a live call-up with a range is refused)",
    )
    range_to: dt.datetime | None = Field(
        default=None,
        description="Playback: the end, after the start, not in the future; one grant covers at most "
        "GATEWAY_PLAYBACK_MAX_HOURS (24, a platform default)",
    )
    binding: Literal["address", "session_key"] = Field(
        default="address",
        description="What the grant is bound to. `address` (the default): the relay serves only the "
        "address this call-up came from. `session_key`: the grant comes with a key, shown once, that "
        "the player presents to the relay in its query as `session=<key>`, from any address: for a "
        "client the relay sees at another address than the gateway does (behind NAT, another network "
        "path to the relay)",
    )

    @field_validator("purpose", "case_number", "destination")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise PydanticCustomError("no-nul-characters", "text must not contain NUL characters")
        return value

    @field_validator("range_from", "range_to")
    @classmethod
    def _in_range(cls, value: dt.datetime | None) -> dt.datetime | None:
        # A time without its offset is refused, and registered, by the call-up's own rules.
        return _held_by_the_database(value)


class GrantRead(BaseModel):
    """A grant to read one camera's path on the relay, for a few minutes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_id": GRANT_EXAMPLE,
                    "use_seq": 1024,
                    "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiI5YzRlMmE3MSJ9.c2lnbmF0dXJl",
                    "stream_url": f"rtsp://relay.jifang.example:8554/cam/{CAMERA_EXAMPLE}",
                    "path": f"cam/{CAMERA_EXAMPLE}",
                    "action": "read",
                    "expires_at": "2026-11-23T09:20:02+00:00",
                    "binding": "address",
                    "session_key": None,
                }
            ]
        }
    )

    grant_id: uuid.UUID
    use_seq: int = Field(description="The use register's record of this call-up")
    token: str = Field(
        description="Give it to the relay as the password or ?token=: it serves this camera only, "
        "live for a live grant, inside the range for a playback (the playback server's `start` and "
        "`duration` inside `range_from`..`range_to`), to the bound client, for a few minutes"
    )
    stream_url: str
    path: str
    action: Literal["read", "playback"]
    expires_at: dt.datetime
    footage: Literal["held", "cannot_verify"] | None = Field(
        default=None,
        description="Playback: `held` when the recorder's index, as retention last read it, holds "
        "footage in the range (or the range ends after that reading); `cannot_verify` when no "
        "reading says so (the call-up goes ahead). Live: null",
    )
    binding: Literal["address", "session_key"] = Field(
        description="What the relay checks besides the grant: the reader's `address` is the one "
        "this call-up came from, or the reader presents the `session_key`"
    )
    session_key: str | None = Field(
        default=None,
        description="A `session_key` binding only: give it to the relay in the query as "
        "`session=<key>` along with the grant. Shown once: the grant holds only its hash",
    )


def _unicode(value: str) -> str:
    """Unicode characters: a lone surrogate (a JSON escape such as \\ud800) is no character."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("unicode", "text must be Unicode characters (no lone surrogates)") from exc
    return value


_HookText = Annotated[str, AfterValidator(_unicode)]


class RelayAuthRequest(BaseModel):
    """MediaMTX's HTTP authentication request (authHTTPAddress), as it sends it. Anyone who
    reaches the hook can post anything: each field is text of a bounded length, or 422 naming it."""

    user: _HookText = Field(default="", max_length=200)
    password: _HookText = Field(default="", max_length=4096)
    token: _HookText = Field(default="", max_length=4096)
    ip: _HookText = Field(default="", max_length=100)
    action: _HookText = Field(default="", max_length=20)
    path: _HookText = Field(default="", max_length=500)
    protocol: _HookText = Field(default="", max_length=20)
    id: _HookText | None = Field(default=None, max_length=100)
    query: _HookText = Field(default="", max_length=8192)


class ChainRead(BaseModel):
    """A register's hash chain, walked: the police's use register, or one unit's register."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "records": 1024,
                    "intact": True,
                    "head_seq": 1024,
                    "head_hash": HASH_EXAMPLE,
                    "first_break_seq": None,
                    "problem": None,
                }
            ]
        }
    )

    records: int
    intact: bool
    head_seq: int | None = Field(description="The last record: note it to detect a later truncation")
    head_hash: str | None
    first_break_seq: int | None = Field(description="The first record altered, or whose link is broken")
    problem: str | None


USE_EXAMPLE: dict[str, Any] = {
    "seq": 1024,
    "recorded_at": RECORDED_EXAMPLE,
    "bureau": "哈尔滨市公安局南岗分局",
    "camera_id": CAMERA_EXAMPLE,
    "unit_id": UNIT_EXAMPLE,
    "mode": "live",
    "range_from": None,
    "range_to": None,
    "outcome": "granted",
    "officer": "officer-0457",
    "badge_number": "HRB-000123",
    "role": "police_operator",
    "purpose": "追查盗窃嫌疑人",
    "case_number": "A2301032026110001",
    "destination": "南岗分局刑侦大队 3号工作站",
    "client_address": "10.20.1.17",
    "refusal_reason": None,
    "grant_id": GRANT_EXAMPLE,
    "hash": HASH_EXAMPLE,
    "view": "full",
}


class UseRead(BaseModel):
    """One use of images. A unit administrator sees that its cameras were called up, when and
    by which bureau, and how it ended; not who, why, for which case or where it went."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [USE_EXAMPLE]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [USE_EXAMPLE], "total": 1, "limit": 50, "offset": 0}]}
    )

    items: list[UseRead]
    total: int
    limit: int
    offset: int


def _written_by_a_person(value: str) -> str:
    """Text a person wrote and a text column holds: no NUL character, no lone surrogate (which
    is no character at all and cannot be stored as UTF-8), not blank nor only invisible
    characters (a zero-width space)."""
    if "\x00" in value:
        raise PydanticCustomError("no-nul-characters", "text must not contain NUL characters")
    _unicode(value)
    if shows_nothing(value):
        raise PydanticCustomError(
            "not-blank", "text must show something: not only blanks or invisible characters"
        )
    return value


# The pattern documents what the validator holds to; the validator names the rule broken.
_WRITTEN_BY_A_PERSON = AfterValidator(_written_by_a_person)
_DOCUMENTED: JsonDict = {"pattern": _VISIBLE_TEXT}


def _each_once(values: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("unique-items", "name each camera once")
    return values


PersonName = Annotated[
    str, Field(min_length=1, max_length=100, json_schema_extra=_DOCUMENTED), _WRITTEN_BY_A_PERSON
]
FOOTAGE_USE_REQUEST_EXAMPLE: dict[str, Any] = {
    "footage_from": "2026-11-22T21:00:00+08:00",
    "footage_to": "2026-11-22T21:30:00+08:00",
    "camera_ids": [CAMERA_EXAMPLE],
    "personnel": ["王建国", "李敏"],
    "purpose": "核查营业厅 11月22日晚间顾客财物遗失经过",
    "destination": "拷贝一份交南岗分局大成派出所民警",
}
FOOTAGE_USE_EXAMPLE: dict[str, Any] = {
    "seq": 87,
    "unit_id": UNIT_EXAMPLE,
    "recorded_at": RECORDED_EXAMPLE,
    "registered_by": "unit-admin-0031",
    **FOOTAGE_USE_REQUEST_EXAMPLE,
    "footage_from": "2026-11-22T13:00:00+00:00",
    "footage_to": "2026-11-22T13:30:00+00:00",
    "hash": HASH_EXAMPLE,
}


class FootageUseRequest(BaseModel):
    """One use of the unit's footage, as the unit registers it (KMG art. 21(2): 录制时间、录制人员、
    用途和去向; HRB art. 20(3): 图像信息使用登记). Who registers it and when come from the token
    and the platform's clock, never from the body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [FOOTAGE_USE_REQUEST_EXAMPLE]})

    footage_from: Timestamp = Field(
        description="录制时间: the start of the footage used, with its UTC offset (RFC 3339)"
    )
    footage_to: Timestamp = Field(
        description="录制时间: the end of the footage used, after its start and not in the future"
    )
    camera_ids: Annotated[list[uuid.UUID], AfterValidator(_each_once)] = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"uniqueItems": True},
        description="The cameras (or recorder channels) whose footage was used: the registry's ids of "
        "cameras of this unit, each once",
    )
    personnel: list[PersonName] = Field(
        min_length=1,
        max_length=20,
        description="录制人员: who recorded, copied or used the footage, by name",
    )
    purpose: Annotated[str, _WRITTEN_BY_A_PERSON] = Field(
        min_length=1,
        max_length=500,
        json_schema_extra=_DOCUMENTED,
        description="用途: why the footage was used",
    )
    destination: Annotated[str, _WRITTEN_BY_A_PERSON] = Field(
        min_length=1,
        max_length=300,
        json_schema_extra=_DOCUMENTED,
        description="去向: to whom or where the footage (or a copy) went, as stated: recorded, not judged",
    )


class FootageUseRead(BaseModel):
    """One record of a unit's register of uses of its footage."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [FOOTAGE_USE_EXAMPLE]})

    seq: int = Field(description="The record's number: increasing along the unit's chain (not consecutive)")
    unit_id: uuid.UUID
    recorded_at: dt.datetime = Field(description="When it was registered (the platform's clock)")
    registered_by: str = Field(description="Who registered it (the token's subject)")
    footage_from: dt.datetime
    footage_to: dt.datetime
    camera_ids: list[uuid.UUID]
    personnel: list[str]
    purpose: str
    destination: str
    hash: str = Field(description="SHA-256 of this record and the previous record of the unit's chain")


class FootageUsePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [FOOTAGE_USE_EXAMPLE], "total": 1, "limit": 50, "offset": 0}]
        }
    )

    items: list[FootageUseRead]
    total: int
    limit: int
    offset: int
