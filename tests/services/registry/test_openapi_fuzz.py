"""Schemathesis over the registry's OpenAPI, over real HTTP: no input gives a server error."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from jifang.auth import Role
from tests.conftest import TokenFactory

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"

# Each role fuzzes the operations it may call (the others answer 403 before any logic runs).
RUNS = [
    (Role.TECH_OFFICE, ["--exclude-path-regex", "/(nvr|internal)/"]),
    (Role.NVR, ["--include-path-regex", "/nvr/"]),
    (Role.SERVICE, ["--include-path-regex", "/internal/"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("role", "selection"), RUNS, ids=[r.value for r, _ in RUNS])
async def test_no_server_error(
    registry_url: str, token: TokenFactory, role: Role, selection: list[str], tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{registry_url}/openapi.json",
        "-H",
        f"Authorization: Bearer {token(role)}",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
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
    )
    out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    assert "Server error" not in text, text[-6000:]
    assert proc.returncode == 0, text[-6000:]
    assert "Tested:" in text
