"""List parameters shared by the registry's list endpoints."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")


# Lists count at most this many matches; past it `total_capped` is true.
COUNT_CAP = 10_000


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description=f"Matches, counted up to {COUNT_CAP}")
    total_capped: bool = Field(default=False, description=f"More than {COUNT_CAP} match")
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)
