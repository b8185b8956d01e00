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


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The edge owns the transaction: commit after the endpoint, roll back on error."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


def get_callups(request: Request) -> CallUps:
    callups: CallUps = request.app.state.callups
    return callups


def get_signer(request: Request) -> GrantSigner:
    signer: GrantSigner = request.app.state.signer
    return signer


SessionDep = Annotated[AsyncSession, Depends(get_session)]
CallUpsDep = Annotated[CallUps, Depends(get_callups)]
SignerDep = Annotated[GrantSigner, Depends(get_signer)]
# Any authenticated caller may *ask* for a call-up: a refusal is registered too (a unit
# administrator asking for images is a fact the register keeps).
AnyCaller = Annotated[Principal, Depends(current_principal)]
RegisterAuditor = Annotated[Principal, require(Role.AUDITOR, Role.TECH_OFFICE)]
