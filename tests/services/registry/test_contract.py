"""The registry's OpenAPI document holds the contract (tests/contract.py): ids, summaries,
descriptions, tags, examples, problems; its internal routes are left out, and documented apart."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from jsonschema import Draft202012Validator

from services.registry.app import create_app, internal_openapi
from services.registry.settings import RegistrySettings
from tests.contract import contract_violations

INTERNAL = "/api/v1/internal/"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # The document needs no database, broker or key: nothing is started.
    return create_app(RegistrySettings(database_url="postgresql+asyncpg://unused/unused"), run_loops=False)


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_every_operation_meets_the_contract(spec: dict[str, Any]) -> None:
    assert contract_violations(spec) == []
    assert len([op for ops in spec["paths"].values() for op in ops.values()]) > 40


def test_no_internal_route_is_in_the_document_and_each_is_still_served(
    app: FastAPI, spec: dict[str, Any]
) -> None:
    assert not [p for p in spec["paths"] if "/internal" in p]
    served = {
        ctx.path_format
        for ctx in iter_route_contexts(app.routes)
        if (ctx.path_format or "").startswith(INTERNAL)
    }
    internal = internal_openapi()
    assert set(internal["paths"]) == served
    assert served == {
        "/api/v1/internal/fleet",
        "/api/v1/internal/cameras/{camera_id}",
        "/api/v1/internal/devices/{device_id}/credentials",
        "/api/v1/internal/devices/credentials",
    }
    # The internal document holds the problems of the public one (401, 403, 503...).
    fleet = internal["paths"]["/api/v1/internal/fleet"]["get"]["responses"]
    assert fleet["403"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }


def test_route_specific_errors_are_documented_as_problems(spec: dict[str, Any]) -> None:
    def responses(path: str, method: str) -> dict[str, Any]:
        found: dict[str, Any] = spec["paths"][f"/api/v1{path}"][method]["responses"]
        return found

    assert "409" in responses("/units", "post")
    assert {"409", "413", "415"} <= set(responses("/filings/{filing_id}/materials/{material}", "put"))
    assert {"409", "413", "415"} <= set(responses("/imports/{kind}", "post"))
    assert {"404", "409"} <= set(responses("/nvr/heartbeat", "post"))
    for status in ("409", "413", "415"):
        media = responses("/imports/{kind}", "post")[status]["content"]
        assert list(media) == ["application/problem+json"]


def test_a_field_is_nullable_in_the_document_only_where_null_clears_it(spec: dict[str, Any]) -> None:
    def nullable(schema: dict[str, Any]) -> bool:
        return any(option.get("type") == "null" for option in schema.get("anyOf", []))

    device = spec["components"]["schemas"]["DeviceUpdate"]["properties"]
    assert nullable(device["password"]) and nullable(device["place_id"])
    assert not nullable(device["name"]) and not nullable(device["location_type"])


def test_every_example_is_valid_against_its_schema(spec: dict[str, Any]) -> None:
    """What a client reads as an example is what the schema next to it allows (examples do
    not rot when a model changes)."""

    def check(schema: dict[str, Any], example: Any) -> None:
        root = {**schema, "components": spec["components"]}
        Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(example)

    checked = 0
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", []):
            check({"$ref": f"#/components/schemas/{name}"}, example)
            checked += 1
    for operations in spec["paths"].values():
        for op in operations.values():
            media = [*op.get("requestBody", {}).get("content", {}).items()]
            for status, response in op["responses"].items():
                media += response.get("content", {}).items() if status.startswith("2") else []
            for media_type, content in media:
                if "example" in content and media_type.endswith("json"):
                    check(content["schema"], content["example"])
                    checked += 1
    assert checked > 30
