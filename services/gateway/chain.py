"""The hash chain every register of the gateway keeps, walked: the police's use register and
each unit's register of the uses of its footage.

The database links each record as it is written (``gateway.install_hash_chain``, migration
0003: a trigger takes the chain's lock, numbers the record, links it to the last one of its
chain and computes its digest). Verification recomputes every digest and link of one chain,
set-based, and reports the first break.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ALTERED = "the record was altered after it was written"
UNLINKED = "the link to the previous record is broken (a record was removed or reordered)"


@dataclass(frozen=True)
class ChainReport:
    records: int
    intact: bool
    head_seq: int | None
    head_hash: str | None
    first_break_seq: int | None = None
    problem: str | None = None


class HashChain:
    """The chain of ``gateway.<register>`` as the installer made it; ``chain_key``: the column
    each of whose values has a chain of its own (None: the whole table is one chain)."""

    def __init__(self, register: str, chain_key: str | None = None) -> None:
        table = f"gateway.{register}"
        where = f" WHERE {chain_key} = :key" if chain_key else ""
        self.chain_key = chain_key
        # Every digest recomputed (a plain scan: PostgreSQL spreads it over parallel workers).
        self._digests = text(
            f"SELECT count(*), min(seq) FILTER (WHERE hash <> gateway.{register}_digest(prev_hash, r)) "
            f"FROM {table} r{where}"
        )
        # Every link: each record's prev_hash is the hash of the record before it in its chain.
        self._links = text(
            "SELECT min(seq) FROM (SELECT seq, prev_hash, "
            "lag(hash, 1, repeat('0', 64)) OVER (ORDER BY seq) AS expected "
            f"FROM {table}{where}) chain WHERE prev_hash <> expected"
        )
        self._head = text(f"SELECT seq, hash FROM {table}{where} ORDER BY seq DESC LIMIT 1")

    async def verify(self, session: AsyncSession, key: Any = None) -> ChainReport:
        """Walk one chain (the one of ``key``, for a keyed register): an altered record fails
        its own digest; a removed or reordered one breaks the link of the record after it."""
        params = {"key": key} if self.chain_key else {}
        records, first_altered = (await session.execute(self._digests, params)).one()
        first_unlinked = await session.scalar(self._links, params)
        head = (await session.execute(self._head, params)).one_or_none()
        breaks = [(s, p) for s, p in ((first_altered, ALTERED), (first_unlinked, UNLINKED)) if s is not None]
        if breaks:
            seq, problem = min(breaks)
            return ChainReport(int(records), False, None, None, seq, problem)
        return ChainReport(int(records), True, head.seq if head else None, head.hash if head else None)
