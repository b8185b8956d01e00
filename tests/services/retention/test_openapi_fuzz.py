"""Schemathesis over retention's OpenAPI, over real HTTP: no input gives a server error."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from devtools.broker import free_port
from jifang.auth import Role
from services.retention.app import create_app
from tests.conftest import TokenFactory
from tests.services.registry.test_openapi_fuzz import SCHEMATHESIS
from tests.services.retention.test_app import settings_for


@pytest.fixture
async def retention_url(
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    retention_maker: Any,
) -> AsyncIterator[str]:
    app = create_app(
        settings_for(database_url, bootstrap, registry_url, token, signing_keys, checks_enabled=False)
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.TECH_OFFICE, Role.UNIT_ADMIN])
async def test_no_server_error(retention_url: str, token: TokenFactory, role: Role, tmp_path: Path) -> None:
    # A unit administrator's token names its unit (else it is refused before any logic).
    bearer = token(role, unit_id=uuid.uuid4()) if role == Role.UNIT_ADMIN else token(role)
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{retention_url}/openapi.json",
        "-H",
        f"Authorization: Bearer {bearer}",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
        "-n",
        "25",
        "--workers",
        "2",
        "--seed",
        "20261123",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert "Server error" not in text, text[-6000:]
    assert proc.returncode == 0, text[-6000:]
    assert "Tested:" in text
