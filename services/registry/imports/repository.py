from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table

from jifang.db import copy_rows
from services.registry.models import Base, OutboxEvent
from services.registry.repository import Repository


class ImportRepository(Repository):
    async def insert(
        self,
        model: type[Base],
        rows: Sequence[Mapping[str, Any]],
        events: Sequence[Mapping[str, Any]],
    ) -> None:
        """Rows of one table and their events, bulk-loaded in the session's transaction."""
        if not rows:
            return
        await copy_rows(self.session, cast(Table, model.__table__), rows)
        await copy_rows(self.session, cast(Table, OutboxEvent.__table__), events)
