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


def main(argv: list[str]) -> int:
    """`python -m jifang.migrate <service>`: that service's migrations to head, against
    DATABASE_URL (the Kubernetes migration Jobs run this)."""
    import os  # noqa: PLC0415

    if len(argv) != 1:
        print("usage: python -m jifang.migrate <registry|ingest|retention|gateway>")
        return 2
    ini = Path(__file__).resolve().parent.parent / "services" / argv[0] / "alembic.ini"
    if not ini.exists():
        print(f"no service {argv[0]!r}")
        return 2
    upgrade(ini, os.environ["DATABASE_URL"])
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
