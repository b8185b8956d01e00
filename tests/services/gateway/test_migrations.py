"""The gateway's migrations build exactly the schema its models describe; the police's use
register, written under 0002's chain, verifies under the installer's (0003) and back, and
keeps one chain across the change."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from jifang.db import create_engine, create_sessionmaker, session_scope
from jifang.migrate import alembic_config, upgrade_async
from services.gateway import ALEMBIC_INI
from services.gateway.models import SCHEMA, Base
from services.gateway.register import UseRegister

# What 0002 verified with (its digest function's name; 0003 renames it).
_DIGESTS_0002 = text(
    "SELECT count(*), count(*) FILTER (WHERE hash <> gateway.use_record_digest(prev_hash, r)) "
    "FROM gateway.use_register r"
)
_UNLINKED = text(
    "SELECT count(*) FROM (SELECT prev_hash, lag(hash, 1, repeat('0', 64)) OVER (ORDER BY seq) AS expected "
    "FROM gateway.use_register) chain WHERE prev_hash <> expected"
)


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "include_schemas": True,
            "version_table_schema": SCHEMA,
            "include_name": lambda name, type_, _p: type_ != "schema" or name == SCHEMA,
            "compare_type": True,
        },
    )
    return [d for d in compare_metadata(ctx, Base.metadata) if "alembic_version" not in str(d)]


async def test_no_difference_between_migrations_and_models(migrated: str) -> None:
    engine = create_engine(migrated, 1, "gateway-test")
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


def _call_up(officer: str) -> dict[str, object]:
    return {
        "officer": officer,
        "role": "police_operator",
        "purpose": "追查盗窃嫌疑人",
        "case_number": "A2301032026110001",
        "destination": "南岗分局刑侦大队 3号工作站",
        "mode": "live",
        "outcome": "granted",
    }


async def test_the_police_register_keeps_its_chain_through_0003_and_back(scratch_database_url: str) -> None:
    url = scratch_database_url
    await upgrade_async(ALEMBIC_INI, url, "0002")
    engine = create_engine(url, 1, "gateway-test")
    sessions = create_sessionmaker(engine)
    try:
        async with session_scope(sessions) as session:
            await UseRegister(session).append([_call_up(f"officer-{i}") for i in range(3)])
        await upgrade_async(ALEMBIC_INI, url)
        async with session_scope(sessions) as session:
            assert (await UseRegister(session).verify()).intact
            await UseRegister(session).append([_call_up("officer-3")])
        async with session_scope(sessions) as session:
            report = await UseRegister(session).verify()
        assert report.intact and report.records == 4

        await asyncio.to_thread(command.downgrade, alembic_config(ALEMBIC_INI, url), "0002")
        async with session_scope(sessions) as session:
            await UseRegister(session).append([_call_up("officer-4")])
            assert tuple((await session.execute(_DIGESTS_0002)).one()) == (5, 0)
            assert await session.scalar(_UNLINKED) == 0
            assert not await session.scalar(
                text("SELECT to_regclass('gateway.unit_use_register') IS NOT NULL")
            )

        await upgrade_async(ALEMBIC_INI, url)
        async with session_scope(sessions) as session:
            report = await UseRegister(session).verify()
        assert report.intact and report.records == 5
    finally:
        await engine.dispose()
