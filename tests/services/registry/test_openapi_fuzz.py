"""Schemathesis over the registry's OpenAPI with every check (statuses, content types, headers,
response schemas, refusal of invalid input, methods...), over real HTTP, on a database of its own:
what the document says is what the registry does. The internal routes are fuzzed from their own
document, which is never published."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jifang.auth import Role
from services.registry.app import internal_openapi
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory
from tests.scratch import schemathesis_all_checks, scratch_registry

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
    """The registry on a database of its own, without its loops: what the fuzzer writes stays
    in that database (no event on the shared topics, no consumer in the shared groups)."""
    async with scratch_registry(registry_settings, scratch_database_url) as url:
        yield url


def _internal_document(directory: Path) -> str:
    """The internal routes' own document (never published), as a file for the fuzzer."""
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
        location = _internal_document(tmp_path)
        selection = [*selection, "--url", scratch_registry_url]
    report = await schemathesis_all_checks(
        location,
        token(role),
        tmp_path,
        *selection,
        config=(HERE / "schemathesis.toml").read_text(encoding="utf-8"),
        seed=20261122,
        phases="examples,coverage,fuzzing,stateful",
        hooks=HERE / "schemathesis_hooks.py",
    )
    assert report is None, report
