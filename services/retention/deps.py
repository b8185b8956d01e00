"""Request dependencies of retention, as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role, require
from jifang.db import session_scope
from services.retention.service import RetentionService


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The edge owns the transaction: commit after the endpoint, roll back on error."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


def get_service(request: Request) -> RetentionService:
    service: RetentionService = request.app.state.retention_service
    return service


# "function": the commit ends the request before the response is sent (an answer means committed;
# a failed commit answers 503), not after it ("request", the default).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ServiceDep = Annotated[RetentionService, Depends(get_service)]

# Who may call what (every route uses one of these). A unit admin sees its own unit only.
RetentionReader = Annotated[
    Principal,
    require(Role.TECH_OFFICE, Role.AUDITOR, Role.POLICE_SUPERVISOR, Role.UNIT_ADMIN, Role.SERVICE),
]
# A check reads the unit's recorders now: the tech office, or the unit proving it complies.
CheckRequester = Annotated[Principal, require(Role.TECH_OFFICE, Role.UNIT_ADMIN)]
# Counts across the city: not for a single unit's administrator.
CityReader = Annotated[
    Principal, require(Role.TECH_OFFICE, Role.AUDITOR, Role.POLICE_SUPERVISOR, Role.SERVICE)
]
# Other services' reads (the gateway's footage check).
InternalService = Annotated[Principal, require(Role.SERVICE)]
