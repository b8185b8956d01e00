"""Database engine and sessions.

The edge owns the transaction: :func:`session_scope` (used by request
dependencies and consumers) commits when the unit of work succeeds and rolls
back otherwise. Service code only flushes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData, Select, Table, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Each service owns one PostgreSQL schema; no service reads another's."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def create_engine(
    url: str,
    pool_size: int = 10,
    application_name: str = "jifang",
    role: str | None = None,
    *,
    pre_ping: bool = True,
    hide_parameters: bool = False,
) -> AsyncEngine:
    """``role``: the database role every connection acts as (SET ROLE at connection start), for
    a service whose own role holds narrower rights than the login (e.g. an append-only table).
    ``pre_ping``: a round trip before each checkout to find a dead connection first; off where
    a statement that fails is answered anyway and the round trip is the latency that counts.
    ``hide_parameters``: a statement's values are left out of its errors (and so of every log
    and traceback), for tables that hold personal data."""
    settings = {"application_name": application_name, "jit": "off"}
    if role is not None:
        settings["role"] = role
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=5,
        hide_parameters=hide_parameters,
        connect_args={
            # JIT compilation costs OLTP queries tens of milliseconds and gains them nothing.
            "server_settings": settings,
            "timeout": 5,
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def copy_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk-load rows with PostgreSQL's COPY, inside the session's own transaction
    (an order of magnitude faster than multi-row INSERTs for imports)."""
    if not rows:
        return
    columns = list(rows[0])
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(
        table.name,
        schema_name=table.schema,
        columns=columns,
        records=[tuple(r[c] for c in columns) for r in rows],
    )


async def count_up_to(session: AsyncSession, stmt: Select[Any], cap: int) -> tuple[int, bool]:
    """(count, capped): counts at most ``cap`` rows, so that a list of a large fleet never
    pays for counting all of it."""
    bounded = stmt.order_by(None).limit(cap + 1).subquery()
    n = int(await session.scalar(select(func.count()).select_from(bounded)) or 0)
    return min(n, cap), n > cap


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def first_time(session: AsyncSession, model: Any, event_id: uuid.UUID) -> bool:
    """Record an event id in ``model`` (a table keyed by ``event_id``); False if it was there
    already: a redelivered event, to be skipped."""
    stmt = insert(model).values(event_id=event_id).on_conflict_do_nothing().returning(model.event_id)
    return (await session.scalar(stmt)) is not None
