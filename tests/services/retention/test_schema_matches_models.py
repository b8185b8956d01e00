"""Retention's migrations build exactly the schema its models describe (the observation
partitions, made at run time, aside)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.retention.models import SCHEMA, Base


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(
        conn,
        opts={
            "include_schemas": True,
            "version_table_schema": SCHEMA,
            "include_name": lambda name, type_, _p: (
                (type_ != "schema" or name == SCHEMA)
                and not (type_ == "table" and str(name).startswith("observations_"))
            ),
            "compare_type": True,
        },
    )
    return [d for d in compare_metadata(ctx, Base.metadata) if "alembic_version" not in str(d)]


async def test_no_difference_between_migrations_and_models(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    engine: Any = retention_maker.kw["bind"]
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
