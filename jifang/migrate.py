"""Run a service's Alembic migrations from code (start-up, `make run`, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(ini_path: Path, database_url: str) -> Config:
    cfg = Config(str(ini_path))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(ini_path: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(ini_path, database_url), revision)


async def upgrade_async(ini_path: Path, database_url: str, revision: str = "head") -> None:
    # env.py runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(upgrade, ini_path, database_url, revision)
