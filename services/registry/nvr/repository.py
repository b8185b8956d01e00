from __future__ import annotations

from sqlalchemy import select

from services.registry.models import EnrollmentToken
from services.registry.repository import Repository


class EnrollmentTokenRepository(Repository):
    async def add(self, token: EnrollmentToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def by_hash(self, token_hash: str) -> EnrollmentToken | None:
        """Locked: two NVRs redeeming one token one after the other, never both."""
        stmt = select(EnrollmentToken).where(EnrollmentToken.token_hash == token_hash).with_for_update()
        return (await self.session.scalars(stmt)).one_or_none()
