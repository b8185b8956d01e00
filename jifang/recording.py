"""How a system (or one camera channel) is declared to record, as one contract for the
registry that keeps the declaration and the services that judge footage against it.

A recording gap or a stopped recording is an interruption only where the system was meant to
be recording (HRB art. 20(5), KMG art. 19): a system declared to record on events only, or on a
schedule, is not interrupted by the footage it was never meant to have. Schedule times are the
unit's local time (its jurisdiction's time zone); a slot whose end is not after its start runs
past midnight into the next day.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from jifang.v1 import registry_pb2

LocalTime = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Local time, HH:MM", examples=["08:00"]),
]


class RecordingMode(StrEnum):
    CONTINUOUS = "continuous"  # 24 hours a day: every gap is in recording time
    EVENT = "event"  # on alarms or motion only: gaps are expected
    SCHEDULED = "scheduled"  # in the declared slots only


class ScheduleSlot(BaseModel):
    """Recording time on some days of the week, e.g. Monday to Friday 08:00–18:00."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        min_length=1, max_length=7, description="ISO weekdays the slot starts on: 1 Monday … 7 Sunday"
    )
    start: LocalTime
    end: LocalTime = Field(description="Local time, HH:MM; not after `start`: the slot ends the next day")

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if len(set(self.days)) != len(self.days):
            raise PydanticCustomError("weekday-once", "days: each weekday once")
        if self.start == self.end:
            raise PydanticCustomError(
                "slot-not-empty", "end: a slot must not be empty (start and end are the same time)"
            )
        return self


class RecordingDeclaration(BaseModel):
    """What the unit declares: recording continuously, on events, or on a schedule."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"mode": "continuous", "schedule": []},
                {
                    "mode": "scheduled",
                    "schedule": [{"days": [1, 2, 3, 4, 5], "start": "07:30", "end": "19:00"}],
                },
            ]
        },
    )

    mode: RecordingMode = RecordingMode.CONTINUOUS
    schedule: list[ScheduleSlot] = Field(
        default_factory=list, max_length=50, description="The recording slots; only for `scheduled`"
    )

    @model_validator(mode="after")
    def _schedule_fits_mode(self) -> Self:
        if self.mode == RecordingMode.SCHEDULED and not self.schedule:
            raise PydanticCustomError(
                "schedule-fits-mode", "schedule: a scheduled recording needs at least one slot"
            )
        if self.mode != RecordingMode.SCHEDULED and self.schedule:
            raise PydanticCustomError(
                "schedule-fits-mode",
                "schedule: only a scheduled recording has slots, not {mode}",
                {"mode": self.mode.value},
            )
        return self


CONTINUOUS = RecordingDeclaration()


def to_proto(declaration: RecordingDeclaration) -> registry_pb2.RecordingDeclaration:
    return registry_pb2.RecordingDeclaration(
        mode=declaration.mode.value,
        schedule=[
            registry_pb2.ScheduleSlot(days=s.days, start=s.start, end=s.end) for s in declaration.schedule
        ],
    )


def from_proto(message: registry_pb2.RecordingDeclaration) -> RecordingDeclaration:
    return RecordingDeclaration(
        mode=RecordingMode(message.mode),
        schedule=[ScheduleSlot(days=list(s.days), start=s.start, end=s.end) for s in message.schedule],
    )
