"""Schemathesis over the gateway's OpenAPI, over real HTTP: no input gives a server error.
(The alarm stream never ends by design: it is tested on its own.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from devtools.broker import free_port
from jifang.auth import Role
from services.gateway.app import create_app
from tests.conftest import TokenFactory
from tests.services.gateway.conftest import gateway_settings
from tests.services.registry.test_openapi_fuzz import SCHEMATHESIS


@pytest.fixture
async def gateway_url(
    migrated: str, bootstrap: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[str]:
    app = create_app(gateway_settings(migrated, bootstrap, registry_url, token, signing_keys))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.POLICE_OPERATOR, Role.AUDITOR, Role.UNIT_ADMIN])
async def test_no_server_error(gateway_url: str, token: TokenFactory, role: Role, tmp_path: Path) -> None:
    bearer = token(role, unit_id=uuid.uuid4()) if role == Role.UNIT_ADMIN else token(role)
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{gateway_url}/openapi.json",
        "-H",
        f"Authorization: Bearer {bearer}",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
        "-n",
        "25",
        # One worker: CPython 3.11's ast module is not thread-safe, and schemathesis's coverage
        # phase uses it from each worker thread ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--seed",
        "20261123",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        "--exclude-path-regex",
        "/alarms/stream",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert "Server error" not in text, text[-6000:]
    assert proc.returncode == 0, text[-6000:]
    assert "Tested:" in text
