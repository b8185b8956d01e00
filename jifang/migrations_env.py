"""The body of every service's Alembic ``env.py``: its own schema, its own version table."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def run_migrations(metadata: MetaData, schema: str, default_url: Callable[[], str]) -> None:
    """``default_url`` (the service's settings) is read only when no URL was handed over."""
    config = context.config
    url = str(
        config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or default_url()
    )

    def run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, version_table_schema=schema)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(online())
