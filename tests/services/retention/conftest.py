"""Retention's test setup: its schema in the test database, built by its migrations, with the
packs' rules loaded as the service loads them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import create_engine, create_sessionmaker, session_scope
from jifang.migrate import upgrade_async
from jifang.policy import load_policy_book
from services.retention import ALEMBIC_INI
from services.retention.repository import FleetRepository
from services.retention.rules import RuleRepository, rule_rows


@pytest.fixture(scope="session")
async def retention_maker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade_async(ALEMBIC_INI, database_url)
    engine = create_engine(database_url, 4, "retention-test")
    maker = create_sessionmaker(engine)
    async with session_scope(maker) as session:
        await RuleRepository(session).replace(*rule_rows(load_policy_book()))
    yield maker
    await engine.dispose()


async def mirror_unit(
    session: AsyncSession, jurisdiction: str = "harbin-2008", district: str | None = None
) -> uuid.UUID:
    unit_id = uuid.uuid4()
    await FleetRepository(session).upsert_units(
        [
            {
                "unit_id": unit_id,
                "name": f"unit {unit_id.hex[:6]}",
                "district": district or f"district-{unit_id.hex[:6]}",
                "jurisdiction": jurisdiction,
            }
        ]
    )
    return unit_id
