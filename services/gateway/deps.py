"""Request dependencies of the gateway, as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role, current_principal, require
from jifang.db import session_scope
from services.gateway.callups import CallUps
from services.gateway.grants import GrantSigner
from services.gateway.proxy import RateLimiter, ServiceProxy
from services.gateway.settings import GatewaySettings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The edge owns the transaction: commit after the endpoint, roll back on error."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


async def get_register_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For appending to the use register: every statement commits by itself (autocommit), so
    the register's lock is held for one statement and its commit, not for a round trip more:
    the call-up's record is durable the moment its INSERT returns."""
    async with session_scope(request.app.state.register_sessionmaker) as session:
        yield session


# Dependencies are coroutines: a plain function would be run in a worker thread per request.
async def get_callups(request: Request) -> CallUps:
    callups: CallUps = request.app.state.callups
    return callups


async def get_signer(request: Request) -> GrantSigner:
    signer: GrantSigner = request.app.state.signer
    return signer


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_proxy(request: Request) -> ServiceProxy:
    proxy: ServiceProxy = request.app.state.proxy
    return proxy


async def limited_caller(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """An authenticated caller within its rate (429 with Retry-After beyond it)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.take(principal.subject)
    return principal


SessionDep = Annotated[AsyncSession, Depends(get_session)]
RegisterSessionDep = Annotated[AsyncSession, Depends(get_register_session)]
ProxyDep = Annotated[ServiceProxy, Depends(get_proxy)]
LimitedCaller = Annotated[Principal, Depends(limited_caller)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
CallUpsDep = Annotated[CallUps, Depends(get_callups)]
SignerDep = Annotated[GrantSigner, Depends(get_signer)]
# Any authenticated caller may *ask* for a call-up: a refusal is registered too (a unit
# administrator asking for images is a fact the register keeps).
AnyCaller = Annotated[Principal, Depends(current_principal)]
PoliceOnly = Annotated[Principal, require(Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR)]
RegisterAuditor = Annotated[Principal, require(Role.AUDITOR, Role.TECH_OFFICE)]
# A unit administrator reads its own unit's uses, without the case's details.
RegisterReader = Annotated[Principal, require(Role.AUDITOR, Role.TECH_OFFICE, Role.UNIT_ADMIN)]
