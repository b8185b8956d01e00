"""The gateway's application state and its request dependencies, as Annotated aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Principal, Role, current_principal, require
from jifang.http import request_transaction
from jifang.openapi import answers
from jifang.ratelimit import OpenLimit, RateLimits
from jifang.state import AppSlot
from services.gateway.callups import CallUps
from services.gateway.proxy import ServiceProxy
from services.gateway.relay import RelayHook
from services.gateway.settings import GatewaySettings
from services.gateway.unit_uses import UnitUses


@dataclass(frozen=True)
class GatewayState:
    """What the gateway's requests use, built once in its lifespan."""

    settings: GatewaySettings
    sessions: async_sessionmaker[AsyncSession]
    callups: CallUps
    relay: RelayHook
    proxy: ServiceProxy
    limits: RateLimits
    alarm_streams: OpenLimit
    unit_uses: UnitUses


GATEWAY_STATE = AppSlot("gateway", GatewayState)
# The gateway's own rate limits (settings: GATEWAY_RATE_LIMIT_*, GATEWAY_CALLUPS_*,
# GATEWAY_RELAY_REFUSALS_*, GATEWAY_ALARM_STREAMS_PER_CALLER).
PROXIED, CALLUPS, RELAY_REFUSALS, ALARM_STREAMS = "proxied", "callups", "relay_refusals", "alarm_streams"
StateDep = Annotated[GatewayState, Depends(GATEWAY_STATE)]

# Dependencies are coroutines: a plain function would be run in a worker thread per request.


async def get_callups(state: StateDep) -> CallUps:
    return state.callups


async def get_relay_hook(state: StateDep) -> RelayHook:
    return state.relay


async def get_settings(state: StateDep) -> GatewaySettings:
    return state.settings


async def get_proxy(state: StateDep) -> ServiceProxy:
    return state.proxy


async def get_unit_uses(state: StateDep) -> UnitUses:
    return state.unit_uses


@answers(429)
async def limited_caller(
    state: StateDep, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """An authenticated caller within its rate (429 with Retry-After beyond it)."""
    state.limits.take(PROXIED, principal.subject, "requests")
    return principal


@answers(429)
async def callup_within_rate(
    state: StateDep, principal: Annotated[Principal, Depends(current_principal)]
) -> None:
    """An officer's call-ups within their rate (429 with Retry-After beyond it): a stolen
    token cannot sweep a city's cameras."""
    state.limits.take(CALLUPS, principal.subject, "call-ups")


SessionDep = Annotated[
    AsyncSession, request_transaction(lambda request: GATEWAY_STATE.of(request.app).sessions)
]
ProxyDep = Annotated[ServiceProxy, Depends(get_proxy)]
LimitedCaller = Annotated[Principal, Depends(limited_caller)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
CallUpsDep = Annotated[CallUps, Depends(get_callups)]
RelayHookDep = Annotated[RelayHook, Depends(get_relay_hook)]
UnitUsesDep = Annotated[UnitUses, Depends(get_unit_uses)]
# Any authenticated caller may *ask* for a call-up: a refusal is registered too (a unit
# administrator asking for images is a fact the register keeps).
AnyCaller = Annotated[Principal, Depends(current_principal)]
PoliceOnly = Annotated[Principal, require(Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR)]
RegisterAuditor = Annotated[Principal, require(Role.AUDITOR, Role.TECH_OFFICE)]
# A unit administrator reads its own unit's uses, without the case's details.
RegisterReader = Annotated[Principal, require(Role.AUDITOR, Role.TECH_OFFICE, Role.UNIT_ADMIN)]
# A unit's own register of the uses of its footage: its administrator writes it; the tech office
# (at its inspections) and the auditor read any unit's.
UnitAdmin = Annotated[Principal, require(Role.UNIT_ADMIN)]
UnitRegisterReader = Annotated[Principal, require(Role.UNIT_ADMIN, Role.TECH_OFFICE, Role.AUDITOR)]
