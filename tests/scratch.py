"""Scratch infrastructure for a test whose data must touch nobody else's (a fuzzer's): a broker
of its own, a registry on the test's scratch database, and schemathesis run over a service's
document with every check."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from devtools.broker import LocalBroker, free_port
from jifang.kafka import ensure_topics
from jifang.migrate import upgrade_async
from jifang.topics import catalogue
from services.registry.app import ALEMBIC_INI, create_app
from services.registry.settings import RegistrySettings
from tests.conftest import served_over_http

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@asynccontextmanager
async def scratch_broker(log_path: Path) -> AsyncIterator[str]:
    """A broker of its own with every topic: what a service under test publishes reaches no
    other test's consumer, and it follows no other test's events. Its bootstrap address."""
    broker = LocalBroker(free_port(), log_path)
    await asyncio.to_thread(broker.start)
    try:
        await ensure_topics(broker.bootstrap, catalogue().values())
        yield broker.bootstrap
    finally:
        await asyncio.to_thread(broker.stop)


@asynccontextmanager
async def scratch_registry(
    settings: RegistrySettings, database_url: str, bootstrap: str
) -> AsyncIterator[str]:
    """The registry (``settings`` but on this database and broker), its schema migrated there,
    running and served over real HTTP: its URL."""
    settings = settings.model_copy(
        update={"database_url": database_url, "kafka_bootstrap_servers": bootstrap}
    )
    await upgrade_async(ALEMBIC_INI, database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app), served_over_http(app) as url:
        yield url


async def schemathesis_all_checks(
    document_url: str,
    bearer: str | None,
    seed: int,
    cwd: Path,
    *options: str,
    config: str = "",
    examples: int = 25,
) -> tuple[int, str]:
    """Schemathesis with ``--checks all`` over a served document (examples, coverage and
    fuzzing phases, two workers, no example database), with ``config`` as its
    schemathesis.toml in ``cwd``: its exit code and output."""
    (cwd / "schemathesis.toml").write_text(config)
    headers = ["-H", f"Authorization: Bearer {bearer}"] if bearer else []
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        document_url,
        *headers,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "-n",
        str(examples),
        "--workers",
        "2",
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")
