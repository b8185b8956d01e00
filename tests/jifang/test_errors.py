"""The one mapping of errors to problems: what FastAPI and the database raise answers as the
contract says (405 with every method of the URL, 422 for a body that is not UTF-8 JSON, 409 for
a key another request took first), never a bare 400 or 500."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
import sqlalchemy.exc as sa_exc
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from jifang.errors import install_problem_handlers


class Thing(BaseModel):
    name: str


def app_with_routes() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    things = APIRouter(prefix="/things")

    @things.get("")
    async def list_things() -> list[Thing]:
        return []

    @things.post("")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.get("/health")
    async def health() -> None:
        return None

    @app.post("/races/{sqlstate}")
    async def race(sqlstate: str) -> None:
        driver_error = {"23505": asyncpg.UniqueViolationError, "23503": asyncpg.ForeignKeyViolationError}
        orig = driver_error.get(sqlstate, asyncpg.NotNullViolationError)("violation")
        raise sa_exc.IntegrityError("INSERT ...", {}, orig)

    @app.post("/copy")
    async def copy() -> None:
        raise asyncpg.UniqueViolationError('duplicate key value violates unique constraint "uq_units_uscc"')

    api = APIRouter(prefix="/api")
    api.include_router(things)
    app.include_router(api)
    return app


async def _call(method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app_with_routes(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_a_405_names_every_method_of_the_url() -> None:
    """Each operation is a route of its own (in routers included in routers): the Allow header
    names them all, not the first's."""
    r = await _call("DELETE", "/api/things")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.headers["content-type"] == "application/problem+json"
    assert (await _call("PUT", "/health")).headers["allow"] == "GET"


async def test_a_json_body_that_is_not_utf8_is_invalid_input() -> None:
    r = await _call(
        "POST", "/api/things", content=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "body", "rule": "utf-8", "message": "the body must be UTF-8 JSON"}
    ]


@pytest.mark.parametrize(("path", "status"), [("/races/23505", 409), ("/races/23503", 409), ("/copy", 409)])
async def test_a_key_another_request_took_first_is_a_conflict(path: str, status: int) -> None:
    r = await _call("POST", path)
    assert r.status_code == status
    assert r.json()["type"] == "/problems/conflict"


async def test_other_integrity_errors_stay_server_errors() -> None:
    """A null where the schema forbids it is the platform's bug, not the client's conflict."""
    r = await _call("POST", "/races/23502")
    assert r.status_code == 500
    assert r.json()["type"] == "/problems/internal-error"
