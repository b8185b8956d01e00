"""Retention's outbox: the judged results' events, written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.retention.models import OutboxEvent


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Events written in the caller's transaction; the relay sends them once it commits."""
        if rows:
            await self.session.execute(insert(OutboxEvent), list(rows))
