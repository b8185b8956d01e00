"""The unit-of-change helper: the unit seen by the principal, the change's events queued when
it ends and before the findings they cause, nothing queued or recomputed when it fails."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role
from jifang.db import session_scope
from jifang.errors import NotFound, ValidationFailed
from services.registry.change import UnitChange
from services.registry.events import place_event
from services.registry.models import Finding, OutboxEvent, Place, PlaceKind
from services.registry.places.repository import PlaceRepository
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

TECH = Principal(subject="tech", roles=frozenset({Role.TECH_OFFICE}))


async def _unit(client: httpx.AsyncClient, token: TokenFactory) -> uuid.UUID:
    return uuid.UUID((await create_unit(client, auth(token(Role.TECH_OFFICE))))["id"])


async def _queued(session: AsyncSession, unit_id: uuid.UUID) -> list[str]:
    """The unit's outbox rows as this session sees them, pending ones included."""
    rows = await session.scalars(
        select(OutboxEvent.event_type).where(OutboxEvent.key == str(unit_id)).order_by(OutboxEvent.id)
    )
    pending = [o.event_type for o in session.new if isinstance(o, OutboxEvent)]
    return [*rows, *pending]


async def _add_banking_hall(change: UnitChange) -> None:
    place = Place(
        id=uuid.uuid4(), unit_id=change.unit.id, name="营业厅", kind=PlaceKind.SITE, category="hrb-7-4"
    )
    await PlaceRepository(change.session).add(place)
    change.publish(place_event(place))


async def test_events_queued_at_the_end_then_the_findings_they_cause(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_id = await _unit(client, token)
    maker, book = registry_app.state.sessionmaker, registry_app.state.policy_book
    async with session_scope(maker) as session, UnitChange(session, book, TECH, unit_id) as change:
        await _add_banking_hall(change)
        assert await _queued(session, unit_id) == ["unit_changed"]
    async with session_scope(maker) as session:
        # A banking hall needs video, intrusion alarm and access control (HRB art. 7(4)):
        # one case listing the three (one breach, one case), after the place that causes it.
        assert await _queued(session, unit_id) == ["unit_changed", "place_changed", "finding_changed"]


async def test_a_failed_change_queues_and_recomputes_nothing(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_id = await _unit(client, token)
    async with session_scope(registry_app.state.sessionmaker) as session:
        with pytest.raises(ValidationFailed):
            async with UnitChange(session, registry_app.state.policy_book, TECH, unit_id) as change:
                await _add_banking_hall(change)
                raise ValidationFailed.single("category", "refused-after-change", "a rule broken late")
        assert await _queued(session, unit_id) == ["unit_changed"]
        assert (await session.scalars(select(Finding).where(Finding.unit_id == unit_id))).all() == []
        await session.rollback()  # as the request edge would


async def test_another_units_admin_does_not_see_the_unit(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    unit_id = await _unit(client, token)
    admin = Principal(subject="admin", roles=frozenset({Role.UNIT_ADMIN}), unit_id=uuid.uuid4())
    async with session_scope(registry_app.state.sessionmaker) as session:
        with pytest.raises(NotFound):
            async with UnitChange(session, registry_app.state.policy_book, admin, unit_id):
                pass
