"""Every error an operation can answer is in its OpenAPI document as problem+json, derived
from what the operation is made of; and the app answers the statuses documented."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict

from jifang.errors import Conflict, DependencyUnavailable, NotYetKnown, install_problem_handlers
from jifang.openapi import NO_NUL, answers, install_problem_documentation, problems
from tests.contract import contract_violations


class Thing(BaseModel):
    name: str


@answers(429)
async def limited() -> None:
    return None


def app_with_routes() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_problem_documentation(app)

    @app.post("/api/v1/things", status_code=201, responses={409: {"description": "The name is taken"}})
    async def create(thing: Thing, _: Annotated[None, Depends(limited)]) -> Thing:
        if thing.name == "taken":
            raise Conflict("The name is taken")
        return thing

    @app.get("/api/v1/things/{thing_id}")
    async def get(thing_id: uuid.UUID, note: str | None = None) -> Thing:
        return Thing(name=note or str(thing_id))

    @app.get(
        "/api/v1/mirrored/{thing_id}",
        responses={
            503: problems("Not mirrored yet, or down", NotYetKnown("Not yet"), DependencyUnavailable("Down"))
        },
    )
    async def mirrored(thing_id: uuid.UUID) -> Thing:
        raise NotYetKnown(f"{thing_id} is not mirrored yet")

    @app.get("/api/v1/hidden", include_in_schema=False)
    async def hidden() -> None:
        return None

    return app


def test_errors_are_derived_and_documented_as_problems() -> None:
    spec = app_with_routes().openapi()
    create = spec["paths"]["/api/v1/things"]["post"]["responses"]
    assert sorted(create) == ["201", "400", "409", "413", "415", "422", "429", "503"]
    assert create["409"]["description"] == "The name is taken"
    for status, response in create.items():
        if status.startswith(("4", "5")):
            media = response["content"]["application/problem+json"]
            assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert media["example"]["status"] == int(status)
    assert "Retry-After" in create["429"]["headers"] and "Retry-After" in create["503"]["headers"]
    assert sorted(spec["paths"]["/api/v1/things/{thing_id}"]["get"]["responses"]) == [
        "200",
        "400",
        "404",
        "422",
        "503",
    ]
    # The frame refuses NUL characters in a URL (400): a free-text parameter says so.
    note, thing_id = sorted(
        spec["paths"]["/api/v1/things/{thing_id}"]["get"]["parameters"], key=lambda p: p["name"]
    )
    assert note["schema"]["anyOf"][0] == {"type": "string", "pattern": "^[^\\x00]*$"}
    assert thing_id["schema"] == {"type": "string", "format": "uuid", "title": "Thing Id"}
    assert "/api/v1/hidden" not in spec["paths"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert {"type", "title", "status", "detail"} <= set(
        spec["components"]["schemas"]["Problem"]["properties"]
    )


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"name": "x"}', "application/json", 201),
        ('{"name": "taken"}', "application/json", 409),
        ('{"nom": "x"}', "application/json", 422),
        ("name=x", "text/plain", 415),
        ('{"name": "x"}', "application/xml", 415),
    ],
)
async def test_the_app_answers_what_it_documents(body: str, content_type: str, status: int) -> None:
    app = app_with_routes()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/api/v1/things", content=body, headers={"Content-Type": content_type})
    assert r.status_code == status, r.text
    documented = app.openapi()["paths"]["/api/v1/things"]["post"]["responses"]
    assert str(status) in documented
    if status >= 400:
        assert r.headers["content-type"] == "application/problem+json"


async def test_a_route_documents_each_kind_of_problem_one_status_covers() -> None:
    app = app_with_routes()
    documented = app.openapi()["paths"]["/api/v1/mirrored/{thing_id}"]["get"]["responses"]["503"]
    assert documented["description"] == "Not mirrored yet, or down"
    media = documented["content"]["application/problem+json"]
    assert "example" not in media and media["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert {k: v["value"]["type"] for k, v in media["examples"].items()} == {
        "not-yet-known": "/problems/not-yet-known",
        "dependency-unavailable": "/problems/dependency-unavailable",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get(f"/api/v1/mirrored/{uuid.uuid4()}")
    assert r.status_code == 503 and r.json()["type"] in {
        v["value"]["type"] for v in media["examples"].values()
    }


def test_text_in_a_url_is_documented_without_nul() -> None:
    """The input guard answers 400 to a URL carrying NUL: the operations taking URL input
    document the 400, and their text parameters a pattern that excludes NUL."""
    app = FastAPI()
    install_problem_documentation(app)

    @app.get("/api/v1/things")
    async def search(name: str | None = None, tag: str = "x", limit: int = 10) -> list[Thing]:
        return []

    operation = app.openapi()["paths"]["/api/v1/things"]["get"]
    assert "400" in operation["responses"]
    schemas = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert schemas["name"]["anyOf"][0]["pattern"] == schemas["tag"]["pattern"] == NO_NUL
    assert "pattern" not in schemas["limit"]
    assert re.fullmatch(NO_NUL, "南岗区 hrb-7-4") and not re.fullmatch(NO_NUL, "a\x00b")


def test_the_contract_check_finds_what_falls_short() -> None:
    """The check every service's document passes (tests/services/*/test_contract.py) finds
    each kind of shortfall."""
    spec = app_with_routes().openapi()
    found = "\n".join(contract_violations(spec))
    assert "POST /api/v1/things: operationId 'create_api_v1_things_post' is not resource.action" in found
    assert "GET /api/v1/things/{thing_id}: no description" in found
    assert "POST /api/v1/things: no example of the application/json request body" in found
    assert "POST /api/v1/things: no example of its 201 application/json response" in found
    spec["paths"]["/api/v1/internal/x"] = {}
    spec["paths"]["/api/v1/things"]["get"] = {
        "operationId": "things.list",
        "summary": "s",
        "description": "d",
        "tags": ["things"],
        "parameters": [{"name": "sort", "in": "query", "schema": {"type": "string"}}],
        "responses": {"422": {"content": {"application/json": {}}}},
    }
    found = "\n".join(contract_violations(spec))
    assert "/api/v1/internal/x: an internal route is in the public document" in found
    assert "GET /api/v1/things: the sort parameter is not an enum" in found
    assert "GET /api/v1/things: 422 is not documented as application/problem+json" in found


class Labelled(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "大门", "label": None}]})

    name: str
    label: str | None


def test_examples_keep_their_nulls() -> None:
    """FastAPI drops every null from the document; an example keeps its nullable fields."""
    app = FastAPI()
    install_problem_documentation(app)

    @app.get(
        "/api/v1/labelled",
        response_model=Labelled,
        responses={200: {"content": {"application/json": {"example": {"name": "后门", "label": None}}}}},
    )
    async def labelled() -> Labelled:
        return Labelled(name="大门", label=None)

    spec = app.openapi()
    assert spec["components"]["schemas"]["Labelled"]["examples"] == [{"name": "大门", "label": None}]
    media = spec["paths"]["/api/v1/labelled"]["get"]["responses"]["200"]["content"]["application/json"]
    assert media["example"] == {"name": "后门", "label": None}
