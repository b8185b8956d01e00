"""The use register's SQL and its hash chain.

Appends are serialized by a transaction-scoped advisory lock: each new record reads the last
hash and is committed before the next may read it, so the chain stays linear under
concurrent call-ups. Verification walks the whole register in order, streaming.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import UseRecord

GENESIS = "0" * 64
# The fields a record's hash covers, in this order (seq included: a reordering shows).
HASHED = (
    "seq",
    "recorded_at",
    "officer",
    "badge_number",
    "bureau",
    "role",
    "purpose",
    "case_number",
    "destination",
    "camera_id",
    "unit_id",
    "mode",
    "range_from",
    "range_to",
    "client_address",
    "outcome",
    "refusal_reason",
    "grant_id",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(
        {k: _canonical(fields.get(k)) for k in HASHED},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    records: int
    intact: bool
    head_seq: int | None
    head_hash: str | None
    first_break_seq: int | None = None
    problem: str | None = None


class UseRegister:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, fields: dict[str, Any]) -> UseRecord:
        """Append one record at the head of the chain (in the caller's transaction)."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('gateway.use_register'))"))
        prev = await self.session.scalar(select(UseRecord.hash).order_by(UseRecord.seq.desc()).limit(1))
        seq = await self.session.scalar(
            text("SELECT nextval(pg_get_serial_sequence('gateway.use_register', 'seq'))")
        )
        values = {**fields, "seq": seq, "recorded_at": fields.get("recorded_at") or dt.datetime.now(dt.UTC)}
        prev_hash = prev or GENESIS
        values["prev_hash"] = prev_hash
        values["hash"] = record_hash(prev_hash, values)
        await self.session.execute(insert(UseRecord).values(values))
        return UseRecord(**values)

    async def _in_order(self, batch: int = 5000) -> AsyncIterator[UseRecord]:
        result = await self.session.stream_scalars(
            select(UseRecord).order_by(UseRecord.seq).execution_options(yield_per=batch)
        )
        async for record in result:
            yield record

    async def verify(self) -> ChainReport:
        """Walk the chain: an altered record fails its own hash; a removed or reordered one
        breaks the link of the record after it."""
        expected_prev, count, last = GENESIS, 0, None
        async for r in self._in_order():
            count += 1
            if r.prev_hash != expected_prev:
                return ChainReport(
                    count,
                    False,
                    None,
                    None,
                    r.seq,
                    "the link to the previous record is broken (a record was removed or reordered)",
                )
            fields = {k: getattr(r, k) for k in HASHED}
            if record_hash(r.prev_hash, fields) != r.hash:
                return ChainReport(
                    count, False, None, None, r.seq, "the record was altered after it was written"
                )
            expected_prev, last = r.hash, r
        return ChainReport(count, True, last.seq if last else None, last.hash if last else None)
