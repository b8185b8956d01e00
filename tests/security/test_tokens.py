"""Issue 14, items 2 and 4 (tokens): a token that combines a bound role (`unit_admin`, bound to
one unit; `nvr`, bound to one recorder) with any other role, and a token whose header names an
algorithm its key is not for (RS256 or ES256 against the platform's Ed25519 key), are refused
401 with a problem on every route of the four services that reads a bearer token.

Before: `["unit_admin", "police_operator"]` bound to unit A read unit B's filing materials,
patched its places, issued its enrollment tokens, read every unit's retention channels and the
whole use register; an RS256 or ES256 header was a 500 on every service."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from jifang.auth import BOUND_ROLES, PUBLIC_PATHS, Role, current_principal
from jifang.errors import PROBLEM_CONTENT_TYPE
from services.gateway.app import create_app as create_gateway
from services.ingest.app import create_app as create_ingest
from services.ingest.settings import IngestSettings
from services.retention.app import create_app as create_retention
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import gateway_settings, migrated, serve  # noqa: F401 - fixture
from tests.services.registry.factories import create_unit
from tests.services.retention.conftest import retention_maker  # noqa: F401 - the schema
from tests.services.retention.test_app import settings_for as retention_settings

# Every pair of a bound role and another of the platform's roles.
COMBINATIONS = sorted(
    {tuple(sorted((bound, other))) for bound in BOUND_ROLES for other in Role if other != bound}
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_header(algorithm: str) -> str:
    """A token of the right audience and issuer whose header names ``algorithm``: what the
    platform's key (Ed25519) cannot verify. The signature is never reached."""
    claims = {"sub": "attacker", "roles": ["auditor"], "aud": "jifang", "iss": "jifang-test", "exp": 2**33}
    return f"{_b64({'alg': algorithm, 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"


def combined(token: TokenFactory, roles: tuple[Role, ...]) -> str:
    unit = str(uuid.uuid4()) if Role.UNIT_ADMIN in roles else None
    return token(*roles, unit_id=unit)


def reads_a_bearer_token(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is current_principal:
            return True
        stack.extend(dep.dependencies)
    return False


def routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            out.extend(
                (method, ctx.path_format or route.path_format, route)
                for method in sorted(route.methods - {"HEAD", "OPTIONS"})
            )
    return out


def filled(path: str) -> str:
    """Any value for each path parameter: a token refused is refused before any is read."""
    out = path.replace("{path:path}", "units").replace("{path}", "units")
    while "{" in out:
        start = out.index("{")
        out = out[:start] + str(uuid.uuid4()) + out[out.index("}", start) + 1 :]
    return out


async def assert_every_route_refuses(
    app: FastAPI, client: httpx.AsyncClient, tokens: dict[str, tuple[str, str]]
) -> int:
    """Each token on every route that reads a bearer token: 401 as problem+json whose detail
    says why (``tokens``: name -> (token, what the detail says)). The routes that read none are
    the public ones and the relay's hook (a grant, not a bearer token). How many were asked."""
    asked = 0
    for method, path, route in routes(app):
        if not reads_a_bearer_token(route):
            assert path in PUBLIC_PATHS or path.startswith("/internal/"), f"{method} {path} takes no token"
            continue
        for name, (tok, reason) in tokens.items():
            r = await client.request(method, filled(path), json={}, headers=auth(tok))
            where = f"{name} on {method} {path}"
            assert r.status_code == 401, f"{where} answered {r.status_code}: {r.text[:300]}"
            assert r.headers["content-type"] == PROBLEM_CONTENT_TYPE, where
            assert reason in r.json()["detail"], f"{where}: {r.json()['detail']}"
            asked += 1
    return asked


@pytest.fixture(scope="module")
def hostile(token: TokenFactory) -> dict[str, tuple[str, str]]:
    tokens = {
        "+".join(roles): (combined(token, roles), "is never combined with another role")
        for roles in COMBINATIONS
    }
    for algorithm in ("RS256", "ES256", "HS256", "none"):
        tokens[f"{algorithm} header"] = (forged_header(algorithm), "Invalid token")
    return tokens


async def test_the_registry_refuses_them_on_every_route(
    registry_app: FastAPI, client: httpx.AsyncClient, hostile: dict[str, tuple[str, str]]
) -> None:
    asked = await assert_every_route_refuses(registry_app, client, hostile)
    assert asked > 50 * len(hostile)


@pytest.fixture
async def retention(
    database_url: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    retention_maker: Any,  # noqa: F811
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = retention_settings(
        database_url, bootstrap, registry_url, token, signing_keys, checks_enabled=False
    )
    app = create_retention(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://retention") as c,
    ):
        yield app, c


async def test_retention_refuses_them_on_every_route(
    retention: tuple[FastAPI, httpx.AsyncClient], hostile: dict[str, tuple[str, str]]
) -> None:
    app, client = retention
    assert await assert_every_route_refuses(app, client, hostile) >= 5 * len(hostile)


async def test_the_gateway_refuses_them_on_every_route(
    migrated: str,  # noqa: F811
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    hostile: dict[str, tuple[str, str]],
) -> None:
    """The call-ups, the registers and the public entry to the services behind it (which
    forwards nothing for a token it refuses)."""
    app = create_gateway(gateway_settings(migrated, bootstrap, registry_url, token, signing_keys))
    async for client in serve(app):
        assert await assert_every_route_refuses(app, client, hostile) >= 15 * len(hostile)


async def test_ingest_reads_no_token(hostile: dict[str, tuple[str, str]]) -> None:
    """Ingest serves its health, readiness and metrics only: no route of it reads a bearer
    token, so none of these reaches one (and its liveness answers whatever is sent)."""
    app = create_ingest(IngestSettings(jwt_public_key_file=None))
    paths = {path for _, path, route in routes(app) if not reads_a_bearer_token(route)}
    assert paths == {path for _, path, _ in routes(app)} and paths <= PUBLIC_PATHS
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        for tok, _ in hostile.values():
            assert (await c.get("/healthz", headers=auth(tok))).status_code == 200


async def test_each_role_alone_still_works(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """The refusal is the combination's: unit A's administrator alone reads unit A and not
    unit B (404), the operator alone reads unit B; together they read nothing."""
    tech = auth(token(Role.TECH_OFFICE))
    unit_a, unit_b = await create_unit(client, tech), await create_unit(client, tech)
    admin_a = auth(token(Role.UNIT_ADMIN, unit_id=unit_a["id"]))
    operator = auth(token(Role.POLICE_OPERATOR))
    both = auth(token(Role.UNIT_ADMIN, Role.POLICE_OPERATOR, unit_id=unit_a["id"]))
    assert (await client.get(f"/api/v1/units/{unit_a['id']}", headers=admin_a)).status_code == 200
    assert (await client.get(f"/api/v1/units/{unit_b['id']}", headers=admin_a)).status_code == 404
    assert (await client.get(f"/api/v1/units/{unit_b['id']}", headers=operator)).status_code == 200
    for unit in (unit_a, unit_b):
        r = await client.get(f"/api/v1/units/{unit['id']}", headers=both)
        assert r.status_code == 401 and "unit_admin" in r.json()["detail"]
        assert "police_operator" in r.json()["detail"]
    # A token may carry roles of other systems: they are not the platform's and are ignored.
    foreign = token(Role.UNIT_ADMIN, unit_id=unit_a["id"], extra={"roles": ["unit_admin", "hr_viewer"]})
    assert (await client.get(f"/api/v1/units/{unit_a['id']}", headers=auth(foreign))).status_code == 200
