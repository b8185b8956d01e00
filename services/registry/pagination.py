"""What the registry's list endpoints share: the page asked for and the page answered, the
sort, and the filters several lists have."""

from __future__ import annotations

from enum import EnumType, StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


# Lists count at most this many matches; past it `total_capped` is true.
COUNT_CAP = 10_000


def _page_example(schema: dict[str, Any], page: type[BaseModel]) -> None:
    """A page's example holds its item's example (``Page[UnitRead]``: a unit)."""
    args = page.__pydantic_generic_metadata__["args"]
    extra = args[0].model_config.get("json_schema_extra") if args and issubclass(args[0], BaseModel) else None
    if isinstance(extra, dict) and isinstance(extra.get("examples"), list):
        items = extra["examples"][:1]
        schema["examples"] = [{"items": items, "total": 1, "total_capped": False, "limit": 50, "offset": 0}]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=_page_example)

    items: list[T]
    total: int = Field(description=f"Matches, counted up to {COUNT_CAP}")
    total_capped: bool = Field(default=False, description=f"More than {COUNT_CAP} match")
    limit: int
    offset: int


class ListQuery(BaseModel):
    """Base of a list's query parameters: the page; a subclass adds the filters and the sort."""

    limit: int = Field(default=50, ge=1, le=500, description="Items per page")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip")

    def page(self, items: list[T], total: int, capped: bool) -> Page[T]:
        return Page(items=items, total=total, total_capped=capped, limit=self.limit, offset=self.offset)


DistrictFilter = Annotated[str | None, Field(max_length=100)]
NameContains = Annotated[str | None, Field(max_length=100, description="Name contains")]
SORT_DESCRIPTION = "A field; '-' first for descending"


class _WithDescending(EnumType):
    """Adds to each member ``X = "field"`` its descending form ``X_DESC = "-field"``."""

    def __new__(metacls, cls: str, bases: tuple[type, ...], classdict: Any, **kwds: Any) -> Any:
        for name in list(classdict._member_names):
            classdict[f"{name}_DESC"] = f"-{classdict[name]}"
        return super().__new__(metacls, cls, bases, classdict, **kwds)


class SortOrder(StrEnum, metaclass=_WithDescending):
    """Base of a list's ``sort`` parameter: a subclass names the fields (columns of the listed
    rows) once; each is allowed as is (ascending) and with a leading '-' (descending), and the
    OpenAPI document lists them all, so an unknown sort is refused as any invalid parameter."""

    @property
    def field(self) -> str:
        return self.value.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")
