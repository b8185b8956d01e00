"""The migrations build exactly the schema the models describe, and downgrade cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from services.registry.models import SCHEMA, Base


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


async def test_no_difference_between_migrations_and_models(registry_app: FastAPI) -> None:
    async with registry_app.state.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
