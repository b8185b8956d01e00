"""Field types with the rules the registry enforces, each error naming its rule."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from jifang.identifiers import InvalidCode, validate_uscc


class Input(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except InvalidCode as exc:
        raise PydanticCustomError(exc.rule, str(exc)) from exc


USCC = Annotated[str, AfterValidator(_uscc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
District = Annotated[str, StringConstraints(min_length=1, max_length=100)]
