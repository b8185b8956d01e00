"""The OpenAPI document as a contract: every error an operation can answer is documented as
``application/problem+json`` with its schema and an example.

What an operation can answer is derived once, from what it is made of, rather than written
on every route: a dependency declares the statuses it may answer (:func:`answers`: the bearer
token 401, a role requirement 403, a rate limit 429); path parameters name a resource (404);
every URL may carry a NUL character, which no text column holds (400; the document's text
parameters say so with a pattern); parameters and bodies are validated (422); a body has a
size limit (413) and a media type (415); every operation needs its database or another service
(503). A route adds what only it can answer (a 409) with ``responses={409: {"description":
...}}``, or an example of each kind of problem one status covers (:func:`problems`); FastAPI's
own 422 (``HTTPValidationError``, which this platform never sends) is replaced by the problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi._compat import get_definitions, get_flat_models_from_fields, get_model_name_map
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_fields_from_routes, get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from jifang.errors import PROBLEM_CONTENT_TYPE, JifangError

F = TypeVar("F", bound=Callable[..., Any])
ANSWERS_ATTRIBUTE = "__jifang_answers__"
# Text in a URL: anything but NUL (see jifang.http's input guard).
NO_NUL = "^[^\\x00]*$"


def answers(*statuses: int) -> Callable[[F], F]:
    """Declare the error statuses a dependency may answer (documented on every route using it)."""

    def mark(dependency: F) -> F:
        setattr(dependency, ANSWERS_ATTRIBUTE, tuple(statuses))
        return dependency

    return mark


class ProblemFieldError(BaseModel):
    field: str = Field(description="The input that broke the rule (dotted path)", examples=["body.uscc"])
    rule: str = Field(description="The rule, a stable code", examples=["uscc-check-digit"])
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem; extra members as the error needs them."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A URI reference naming the kind of problem", examples=["/problems/not-found"]
    )
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="The request path")
    errors: list[ProblemFieldError] | None = Field(None, description="Each field and the rule it broke")
    article: str | None = Field(None, description="The article of the law that refuses the request")


_EXAMPLES: dict[int, tuple[str, str, str, dict[str, Any]]] = {
    400: ("bad-request", "Bad request", "The URL must not contain NUL characters.", {}),
    401: ("unauthenticated", "Authentication required", "A bearer token is required", {}),
    403: ("forbidden", "Not allowed for this role", "This operation is reserved to: tech_office", {}),
    404: ("not-found", "Not found", "No unit with this id", {}),
    409: ("conflict", "Conflict with the current state", "A unit with this code exists", {}),
    413: ("payload-too-large", "Request body too large", "The request body exceeds 1048576 bytes.", {}),
    415: ("unsupported-media-type", "Unsupported media type", "Send application/json", {}),
    422: (
        "validation-failed",
        "Invalid input",
        "body.name: Field required",
        {"errors": [{"field": "body.name", "rule": "missing", "message": "Field required"}]},
    ),
    429: ("too-many-requests", "Too many requests", "Slow down: 20 requests per second", {}),
    502: ("bad-gateway", "Bad gateway", "The registry service's answer could not be read", {}),
    503: (
        "dependency-unavailable",
        "Dependency unavailable",
        "A dependency is unreachable; retry shortly.",
        {},
    ),
}
_DESCRIPTIONS = {
    400: "The request cannot be read",
    401: "No valid bearer token",
    403: "The token's roles do not allow this operation (or a unit administrator's other unit)",
    404: "The resource does not exist, or is not visible to the caller",
    409: "The request conflicts with the current state",
    413: "The body is over the limit",
    415: "The body's media type is not accepted",
    422: "An input breaks a rule: each field and rule named (or the article of the law that refuses it)",
    429: "Over the caller's rate: retry after the Retry-After header",
    502: "The service behind answered, but its answer could not be read",
    503: "A dependency (database, broker, another service) is down: retry after the Retry-After header",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    slug, title, detail, extra = _EXAMPLES.get(status, ("http-error", "Error", "Error", {}))
    out: dict[str, Any] = {
        "description": description or _DESCRIPTIONS.get(status, title),
        "content": {
            PROBLEM_CONTENT_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": {
                    "type": f"/problems/{slug}",
                    "title": title,
                    "status": status,
                    "detail": detail,
                    **extra,
                },
            }
        },
    }
    if status in (429, 503):
        out["headers"] = _RETRY_AFTER
    return out


def problems(description: str, *errors: JifangError) -> dict[str, Any]:
    """A route's own documentation of one error status: its description and an example of each
    problem it answers with that status (``responses={503: problems("...", NotYetKnown("..."))}``),
    where one status covers problems of several kinds."""
    examples = {
        error.slug: {
            "summary": error.title,
            "value": {
                "type": f"/problems/{error.slug}",
                "title": error.title,
                "status": error.status,
                "detail": error.detail,
                **error.extensions(),
            },
        }
        for error in errors
    }
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"examples": examples}}}


def _dependency_answers(dependant: Dependant) -> set[int]:
    found: set[int] = set()
    for d in _walk(dependant):
        found.update(getattr(d.call, ANSWERS_ATTRIBUTE, ()) if d.call is not None else ())
    return found


def _all_params(dependant: Dependant) -> Iterable[Any]:
    for d in _walk(dependant):
        yield from d.path_params
        yield from d.query_params
        yield from d.header_params
        yield from d.body_params


def route_answers(dependant: Dependant) -> set[int]:
    """The error statuses an operation can answer, from what it is made of."""
    statuses = _dependency_answers(dependant) | {400, 503}
    if dependant.path_params:
        statuses.add(404)
    if any(True for _ in _all_params(dependant)):
        statuses.add(422)
    if any(d.body_params for d in _walk(dependant)):
        statuses.update((413, 415, 422))
    return statuses


def _walk(dependant: Dependant) -> Iterable[Dependant]:
    stack = [dependant]
    while stack:
        d = stack.pop()
        yield d
        stack.extend(d.dependencies)


def _examples_as_given(app: FastAPI, schema: dict[str, Any]) -> None:
    """Put back the examples as the models and routes give them: FastAPI drops every null from
    the document it builds, the nulls of examples too, and a response example then lacks the
    nullable fields its schema requires. (The components come from the functions get_openapi
    builds them with, so that they have its names.)"""
    fields = get_fields_from_routes(app.routes)
    _, definitions = get_definitions(
        fields=fields,
        model_name_map=get_model_name_map(get_flat_models_from_fields(fields, known_models=set())),
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    components = schema.get("components", {}).get("schemas", {})
    for name, definition in definitions.items():
        if "examples" in definition and name in components:
            components[name]["examples"] = definition["examples"]
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or not ctx.include_in_schema:
            continue
        for method in (ctx.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = schema["paths"][ctx.path_format or ""][method.lower()]
            given = {str(status): r for status, r in route.responses.items()}
            if route.openapi_extra and "requestBody" in route.openapi_extra:
                given["requestBody"] = route.openapi_extra["requestBody"]
            for key, response in given.items():
                target = operation["requestBody"] if key == "requestBody" else operation["responses"][key]
                for media_type, media in response.get("content", {}).items():
                    if "example" in media:
                        target["content"][media_type]["example"] = media["example"]


def _documented(status: int, given: dict[str, Any]) -> dict[str, Any]:
    """An error status as a problem, keeping what the route said of it: its description (but
    not FastAPI's own 422) and its examples (see :func:`problems`)."""
    description = given.get("description")
    if status == 422 or description in (None, "Validation Error"):
        description = None
    out = problem_response(status, description)
    examples = given.get("content", {}).get(PROBLEM_CONTENT_TYPE, {}).get("examples")
    if examples:
        media = out["content"][PROBLEM_CONTENT_TYPE]
        del media["example"]
        media["examples"] = examples
    return out


def _document_problems(operation: dict[str, Any], statuses: set[int]) -> None:
    """Every error status of the operation as a problem; its URL's text without NUL."""
    responses = operation.setdefault("responses", {})
    declared = {int(s) for s in responses if s.isdigit() and int(s) >= 400}
    for status in sorted(statuses | declared):
        responses[str(status)] = _documented(status, responses.get(str(status), {}))
    for parameter in operation.get("parameters", []):
        if parameter["in"] in ("path", "query"):
            _without_nul(parameter.get("schema", {}))


def _without_nul(schema: dict[str, Any]) -> None:
    """Say what the input guard holds every URL to: no text in it carries a NUL character
    (no text column can store one; a URL with one is answered 400)."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "string" and not {"format", "enum", "pattern", "const"} & set(option):
            option["pattern"] = NO_NUL


def install_problem_documentation(app: FastAPI, *, public_prefixes: tuple[str, ...] = ("/api/",)) -> None:
    """Make ``app.openapi()`` document every operation's problems (operations under
    ``public_prefixes``; health and metrics answer their own way)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
        )
        _examples_as_given(app, schema)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in (
            Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
        ):
            components[name] = definition
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        problem.pop("$defs", None)
        components["Problem"] = problem
        for ctx in iter_route_contexts(app.routes):
            if not isinstance(ctx.original_route, APIRoute) or not ctx.include_in_schema:
                continue
            path = ctx.path_format or ""
            # Health and metrics answer their own way: only what they declare.
            statuses = route_answers(ctx.dependant) if path.startswith(public_prefixes) else set()
            for method in (ctx.methods or set()) - {"HEAD", "OPTIONS"}:
                _document_problems(schema["paths"][path][method.lower()], statuses)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
