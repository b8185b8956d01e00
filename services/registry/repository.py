"""The base of the registry's repositories: one session, and the paged lists (filters that
apply only when given, an allowed sort, a count capped at COUNT_CAP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, UnaryExpression
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from jifang.db import count_up_to
from services.registry.pagination import COUNT_CAP, ListQuery, SortOrder

Row = TypeVar("Row")


def where_equal(stmt: Select[Row], *filters: tuple[InstrumentedAttribute[Any], object]) -> Select[Row]:
    """``column = value`` for each (column, value) whose value is given (neither None nor empty)."""
    for column, value in filters:
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    return stmt


def sorted_by(model: type[Any], sort: SortOrder) -> tuple[UnaryExpression[Any], UnaryExpression[Any]]:
    """The order of a sorted list: the field, then the id (rows with the same value keep one
    order across pages), both in the sort's direction."""
    field: InstrumentedAttribute[Any] = getattr(model, sort.field)
    row_id: InstrumentedAttribute[Any] = model.id
    if sort.descending:
        return field.desc(), row_id.desc()
    return field.asc(), row_id.asc()


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, stmt: Select[Row], order: Sequence[ColumnElement[Any]], query: ListQuery
    ) -> tuple[Sequence[Row], int, bool]:
        """The page ``query`` asks for of ``stmt`` in ``order``, and the matches counted up to
        COUNT_CAP."""
        total, capped = await count_up_to(self.session, stmt, COUNT_CAP)
        rows = await self.session.scalars(stmt.order_by(*order).limit(query.limit).offset(query.offset))
        return rows.all(), total, capped
