"""Request dependencies of retention, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role, require
from jifang.http import request_transaction
from services.retention.service import RetentionService


def get_service(request: Request) -> RetentionService:
    service: RetentionService = request.app.state.retention_service
    return service


SessionDep = Annotated[AsyncSession, request_transaction(lambda request: request.app.state.sessionmaker)]
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
