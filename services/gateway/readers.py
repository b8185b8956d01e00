"""The readers the relay admitted on each grant (``gateway.grant_readers``): its SQL.

Every gateway replica answers the relay, so the readers of a grant are counted in the
database, one admission at a time per grant (a transaction-scoped advisory lock on the grant:
two replicas admitting the last place at once would otherwise both see it free). A grant's
readers are kept until it expires (and a minute more, for the clocks), then removed by each
replica's sweep (:class:`services.gateway.relay.ExpiredReaders`)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.models import GrantReader

_LOCK_GRANT = text("SELECT pg_advisory_xact_lock(hashtext('gateway.grant_readers'), hashtext(:grant_id))")
# Kept a minute past their grant's expiry: the database's clock and the gateway's may differ.
_EXPIRED = text("DELETE FROM gateway.grant_readers WHERE expires_at < now() - interval '1 minute'")


class GrantReaders:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def admit(self, grant_id: uuid.UUID, reader: str, expires_at: dt.datetime, limit: int) -> bool:
        """Whether ``reader`` may read on the grant: one it admitted before, or a new one while
        fewer than ``limit`` were; a new one is written (the caller commits, which releases
        the grant's lock)."""
        await self.session.execute(_LOCK_GRANT, {"grant_id": str(grant_id)})
        readers = set(
            await self.session.scalars(select(GrantReader.reader).where(GrantReader.grant_id == grant_id))
        )
        if reader in readers:
            return True
        if len(readers) >= limit:
            return False
        self.session.add(
            GrantReader(grant_id=grant_id, reader=reader, admitted_at=_now(), expires_at=expires_at)
        )
        await self.session.flush()
        return True

    async def remove_expired(self) -> int:
        """Remove the readers of grants expired (a minute ago or more); how many."""
        result = await self.session.execute(_EXPIRED)
        return int(getattr(result, "rowcount", 0) or 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
