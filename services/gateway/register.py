"""The police's use register: its SQL, on the gateway's one hash chain (:mod:`services.gateway.chain`).

Appends are serialized by a transaction-scoped advisory lock: each new record reads the last
hash and is committed before the next may read it, so the chain stays linear under
concurrent call-ups. The whole register is one chain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.chain import ChainReport, HashChain
from services.gateway.models import UseRecord

USE_CHAIN = HashChain("use_register")


@dataclass(frozen=True)
class RegisterFilter:
    unit_id: uuid.UUID | None = None
    camera_id: uuid.UUID | None = None
    officer: str | None = None
    case_number: str | None = None
    bureau: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class UseRegister:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, records: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
        """Append records in one statement; each one's number and hash, in the order given. The
        database links them: the trigger takes the register's lock, numbers each record in the
        statement's order and computes its digest."""
        columns = {name: [fields.get(name) for fields in records] for name, _ in _APPENDED}
        rows = (await self.session.execute(_APPEND, columns)).all()
        # Numbered in the order of the input under the register's lock: by number is by input.
        numbered = sorted((int(r.seq), str(r.hash)) for r in rows)
        if len(numbered) != len(records):
            raise RuntimeError(f"{len(records)} records appended, {len(numbered)} returned")
        return numbered

    @staticmethod
    def _filtered(filters: RegisterFilter) -> Any:
        stmt = select(UseRecord)
        for column, value in (
            (UseRecord.unit_id, filters.unit_id),
            (UseRecord.camera_id, filters.camera_id),
            (UseRecord.officer, filters.officer),
            (UseRecord.case_number, filters.case_number),
            (UseRecord.bureau, filters.bureau),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if filters.since is not None:
            stmt = stmt.where(UseRecord.recorded_at >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(UseRecord.recorded_at < filters.until)
        return stmt

    async def search(self, filters: RegisterFilter, limit: int, offset: int) -> tuple[list[UseRecord], int]:
        stmt = self._filtered(filters)
        total = int(await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        rows = await self.session.scalars(stmt.order_by(UseRecord.seq.desc()).limit(limit).offset(offset))
        return list(rows), total

    async def stream(self, filters: RegisterFilter, batch: int = 2000) -> AsyncIterator[UseRecord]:
        """Matching records in register order, streamed (an export of a year's register)."""
        result = await self.session.stream_scalars(
            self._filtered(filters).order_by(UseRecord.seq).execution_options(yield_per=batch)
        )
        async for record in result:
            yield record

    async def verify(self) -> ChainReport:
        return await USE_CHAIN.verify(self.session)


# What a call-up writes, with the type of its column. The statement is the same text whatever
# the number of records (one array per column): prepared once per connection, never compiled
# again, which an INSERT of n VALUES rows is, per n (it cost a call-up more than its JWT).
_APPENDED = (
    ("officer", "text"),
    ("badge_number", "text"),
    ("bureau", "text"),
    ("role", "text"),
    ("purpose", "text"),
    ("case_number", "text"),
    ("destination", "text"),
    ("camera_id", "uuid"),
    ("unit_id", "uuid"),
    ("mode", "text"),
    ("range_from", "timestamptz"),
    ("range_to", "timestamptz"),
    ("client_address", "text"),
    ("outcome", "text"),
    ("refusal_reason", "text"),
    ("grant_id", "uuid"),
)
_APPEND = text(
    "INSERT INTO gateway.use_register ("
    + ", ".join(name for name, _ in _APPENDED)
    + ", prev_hash, hash) SELECT "
    + ", ".join(f"r.{name}" for name, _ in _APPENDED)
    + ", '', '' FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _APPENDED)
    + ") WITH ORDINALITY AS r("
    + ", ".join(name for name, _ in _APPENDED)
    # In input order: the trigger numbers the records as they come.
    + ", ordinal) ORDER BY r.ordinal RETURNING seq, hash"
)
