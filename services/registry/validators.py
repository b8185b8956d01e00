"""Field types with the rules the registry enforces, each error naming its rule."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, PydanticKnownError

from jifang.identifiers import InvalidCode, validate_uscc


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


# Values read from text (CSV cells) are converted as pydantic reads text: validate them with
# this context. A JSON body carries the JSON types its document gives.
FROM_TEXT = {"from_text": True}
# The error a JSON value of another kind than the document's gets (pydantic's own, as in strict mode).
_WRONG_KIND = {"boolean": "bool_type", "number": "float_type", "integer": "int_type", "string": "string_type"}


def _json_kind(value: Any) -> str | None:
    """The JSON kind of a scalar as it came from a JSON body (None for anything else)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else None


def _schema_kinds(schema: dict[str, Any], defs: dict[str, Any]) -> set[str] | None:
    """The scalar JSON kinds a property's schema admits; None where it admits anything else."""
    if "$ref" in schema:
        return _schema_kinds(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        kinds: set[str] = set()
        for option in schema["anyOf"]:
            found = _schema_kinds(option, defs)
            if found is None:
                return None
            kinds |= found
        return kinds
    if "enum" in schema:
        return {k for k in map(_json_kind, schema["enum"]) if k}
    kind = schema.get("type")
    if kind == "null":
        return set()
    if kind in ("boolean", "string"):
        return {kind}
    if kind in ("integer", "number"):
        return {"integer"} if kind == "integer" else {"integer", "number"}
    return None


class Input(BaseModel):
    """Base of every request body: unknown fields are refused, and so is text with NUL
    characters (which PostgreSQL cannot store), and a value of another JSON kind than the
    document says (pydantic would read `0` as false, `"5"` as 5 or `0` as a date)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    _kinds: ClassVar[dict[str, set[str] | None] | None] = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            raise PydanticCustomError("no-nul-characters", "text must not contain NUL characters")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _documented_kind(cls, value: Any, info: ValidationInfo) -> Any:
        kind = _json_kind(value)
        if kind is None or (info.context or {}).get("from_text") or info.field_name is None:
            return value
        documented = cls._documented_kinds().get(info.field_name)
        if documented and kind not in documented:
            expected = next(k for k in _WRONG_KIND if k in documented)
            raise PydanticKnownError(_WRONG_KIND[expected])  # type: ignore[arg-type]
        return value

    @classmethod
    def _documented_kinds(cls) -> dict[str, set[str] | None]:
        if cls.__dict__.get("_kinds") is None:
            schema = cls.model_json_schema()
            defs = schema.get("$defs", {})
            cls._kinds = {
                name: _schema_kinds(prop, defs) for name, prop in schema.get("properties", {}).items()
            }
        kinds: dict[str, set[str] | None] = cls.__dict__["_kinds"]
        return kinds


class Patch(Input):
    """Base of partial updates: a field left out is unchanged; an explicit null clears it only
    where the field is declared clearable (``clearable``), and is refused anywhere else."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The document says the same: null only where clearable (left out = unchanged)."""
        schema = handler(core_schema)
        for name, prop in handler.resolve_ref_schema(schema).get("properties", {}).items():
            if name in cls.clearable:
                continue
            prop.pop("default", None)
            options = [o for o in prop.pop("anyOf", [prop.copy()]) if o.get("type") != "null"]
            if len(options) == 1:
                prop.update(options[0])
            else:
                prop["anyOf"] = options
        return schema

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


def _iso_text(value: Any) -> Any:
    """A query's instant as ISO 8601 text with its offset: pydantic would also read a number
    as seconds since 1970, which the document does not offer."""
    if isinstance(value, str) and not _ISO_INSTANT.match(value):
        raise PydanticCustomError(
            "iso-8601", "an ISO 8601 date and time with its offset, e.g. 2026-12-02T10:00:00+08:00"
        )
    return value


_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# An instant given in a query string.
QueryInstant = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
# Why an officer or the office decided something, for the record: not blank.
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]
District = Annotated[str, StringConstraints(min_length=1, max_length=100)]
