"""Scratch infrastructure for a test whose data must touch nobody else's (a fuzzer's): a broker
of its own, a registry on the test's scratch database, and schemathesis run over a service's
document with every check."""

from __future__ import annotations

import asyncio
import os
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
    settings: RegistrySettings, database_url: str, bootstrap: str | None = None
) -> AsyncIterator[str]:
    """The registry (``settings`` but on this database), its schema migrated there, served over
    real HTTP: its URL. With a broker of its own (``bootstrap``) it runs its loops (its events
    published there); without, none (nothing it does reaches the shared topics)."""
    update: dict[str, str] = {"database_url": database_url}
    if bootstrap is not None:
        update["kafka_bootstrap_servers"] = bootstrap
    await upgrade_async(ALEMBIC_INI, database_url)
    app = create_app(settings.model_copy(update=update), run_loops=bootstrap is not None)
    async with app.router.lifespan_context(app), served_over_http(app) as url:
        yield url


async def schemathesis_all_checks(
    document: str,
    bearer: str | None,
    cwd: Path,
    *options: str,
    config: str = "",
    seed: int = 20261123,
    phases: str = "examples,coverage,fuzzing",
    examples: int = 25,
    hooks: Path | None = None,
) -> str | None:
    """Schemathesis over a service's document (a URL or a file) with every check, ``config`` as
    its schemathesis.toml (each exception for one operation, with its reason), a fixed seed, no
    example database: None when it found nothing, else its report.

    Every check is enabled in the configuration (``[checks] enabled = true``) rather than with
    ``--checks all``, which on the command line would override the per-operation exceptions.
    One worker: CPython 3.11's ast module is not thread-safe, and schemathesis's coverage
    phase uses it from each worker thread ("AST constructor recursion depth mismatch")."""
    path = cwd / "schemathesis.toml"
    path.write_text("[checks]\nenabled = true\n\n" + config, encoding="utf-8")
    headers = ["-H", f"Authorization: Bearer {bearer}"] if bearer else []
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(hooks)} if hooks else None
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(path),
        "run",
        document,
        *headers,
        "--phases",
        phases,
        "-n",
        str(examples),
        "--workers",
        "1",
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
        env=env,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    return None if proc.returncode == 0 and "Tested:" in text else text[-12000:]
