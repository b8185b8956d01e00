"""Field types with the rules the registry enforces, each error naming its rule."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from jifang.identifiers import InvalidCode, validate_uscc


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class Input(BaseModel):
    """Base of every request body: unknown fields are refused, and so is text with NUL
    characters (which PostgreSQL cannot store)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("no-nul-characters", "text must not contain NUL characters")
        return value


class Patch(Input):
    """Base of partial updates: a field left out is unchanged; an explicit null clears it only
    where the field is declared clearable (``clearable``), and is refused anywhere else."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_forbidden_nulls(self) -> Self:
        for name in sorted(self.model_fields_set - self.clearable):
            if getattr(self, name) is None:
                raise PydanticCustomError("not-null", f"{name} cannot be null", {"field": name})
        return self


def _uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except InvalidCode as exc:
        raise PydanticCustomError(exc.rule, str(exc)) from exc


USCC = Annotated[str, AfterValidator(_uscc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
District = Annotated[str, StringConstraints(min_length=1, max_length=100)]
