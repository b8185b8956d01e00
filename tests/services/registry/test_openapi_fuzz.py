"""Schemathesis over the registry's OpenAPI with every check (statuses, content types, headers,
response schemas, refusal of invalid input, methods...), over real HTTP, on a database of its own:
what the document says is what the registry does. The internal routes are fuzzed from their own
document, which is never published."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.registry.app import ALEMBIC_INI, create_app, internal_openapi
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, served_over_http

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
HERE = Path(__file__).resolve().parent

# Each role fuzzes the operations it may call (the others answer 403 before any logic runs).
RUNS = [
    (Role.TECH_OFFICE, "public", ["--exclude-path-regex", "/nvr/"]),
    (Role.NVR, "public", ["--include-path-regex", "/nvr/"]),
    (Role.SERVICE, "internal", []),
]


@pytest.fixture
async def scratch_registry_url(
    scratch_database_url: str, registry_settings: RegistrySettings
) -> AsyncIterator[str]:
    """The registry on a database of its own, migrated here, over real HTTP. Without its loops:
    what the fuzzer writes stays in that database (no event on the shared topics, no consumer in
    the shared groups)."""
    settings = registry_settings.model_copy(update={"database_url": scratch_database_url})
    await upgrade_async(ALEMBIC_INI, settings.database_url)
    app = create_app(settings, run_loops=False)
    async with app.router.lifespan_context(app), served_over_http(app) as url:
        yield url


def _write_internal_document(directory: Path) -> str:
    path = directory / "internal.json"
    path.write_text(json.dumps(internal_openapi()), encoding="utf-8")
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize(("role", "document", "selection"), RUNS, ids=[r.value for r, _, _ in RUNS])
async def test_the_registry_does_what_its_document_says(
    scratch_registry_url: str,
    token: TokenFactory,
    role: Role,
    document: str,
    selection: list[str],
    tmp_path: Path,
) -> None:
    location = f"{scratch_registry_url}/openapi.json"
    if document == "internal":
        location = _write_internal_document(tmp_path)
        selection = [*selection, "--url", scratch_registry_url]
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        location,
        "-H",
        f"Authorization: Bearer {token(role)}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "-n",
        "25",
        "--workers",
        "2",
        "--seed",
        "20261122",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        *selection,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py")},
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-8000:]
    assert "Tested:" in text
