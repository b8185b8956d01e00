"""The project's error hierarchy, and its one mapping to RFC 9457 problem+json.

Domain code raises these; it never raises ``HTTPException``. The HTTP layer
installs :func:`install_problem_handlers` once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy.exc as sa_exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Errors that mean "the dependency is down", not "the request is wrong".
UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
)
# A server that is gone or going, as PostgreSQL says it: class 08 (connection exceptions), and
# 57P01-57P03 (shut down by an administrator, after a crash, not accepting connections yet).
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def _sqlstates(exc: BaseException) -> list[str]:
    """The SQLSTATEs a database error carries: SQLAlchemy's wrapper, its driver's error, and
    the error under that."""
    causes = [exc, getattr(exc, "orig", None)]
    causes.append(getattr(causes[-1], "__cause__", None))
    return [state for c in causes if isinstance(state := getattr(c, "sqlstate", None), str)]


def database_unreachable(exc: BaseException) -> bool:
    """The database (or another dependency) cannot be reached now, as opposed to a statement it
    refused: SQLAlchemy reports a server shutting down or starting up as a bare DBAPIError,
    whose driver error carries the SQLSTATE."""
    if isinstance(exc, UNREACHABLE_ERRORS):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    driver = (exc.orig, getattr(exc.orig, "__cause__", None))
    if any(
        isinstance(c, asyncpg.PostgresConnectionError | asyncpg.InterfaceError | ConnectionError)
        for c in driver
    ):
        return True
    return any(state.startswith(_UNREACHABLE_SQLSTATES) for state in _sqlstates(exc))


# A unique or foreign key violation: another request's change won the race (409, not 500).
CONFLICT_SQLSTATES = frozenset({"23505", "23503"})
log = logging.getLogger("jifang.errors")


@dataclass(frozen=True)
class FieldError:
    """One failing field and the rule it broke."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class JifangError(Exception):
    """Base of every error the platform raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title

    def extensions(self) -> dict[str, Any]:
        return {}

    def headers(self) -> dict[str, str]:
        return {}


class Unauthenticated(JifangError):
    status, slug, title = 401, "unauthenticated", "Authentication required"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="jifang"'}


class Forbidden(JifangError):
    """Not for this caller; ``errors`` names the fields the refusal is about, if any."""

    status, slug, title = 403, "forbidden", "Not allowed for this role"

    def __init__(self, detail: str | None = None, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)

    def extensions(self) -> dict[str, Any]:
        return {"errors": [e.as_dict() for e in self.errors]} if self.errors else {}


class NotFound(JifangError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(JifangError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class PayloadTooLarge(JifangError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(JifangError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(JifangError):
    """Input that breaks a rule: names each field and rule."""

    status, slug, title = 422, "validation-failed", "Invalid input"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, field_name: str, rule: str, message: str) -> ValidationFailed:
        return cls([FieldError(field_name, rule, message)])

    def extensions(self) -> dict[str, Any]:
        return {"errors": [e.as_dict() for e in self.errors]}


class LegalRuleViolation(JifangError):
    """A request the law forbids: the answer cites the article."""

    status, slug, title = 422, "legal-rule-violation", "Refused by a legal rule"

    def __init__(self, detail: str, article: str, field_name: str | None = None) -> None:
        super().__init__(detail)
        self.article = article
        self.field_name = field_name

    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"article": self.article}
        if self.field_name:
            ext["errors"] = [
                FieldError(self.field_name, "legal-rule", self.detail).as_dict(),
            ]
        return ext


class TooManyRequests(JifangError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class NotYetKnown(JifangError):
    """A record the source of truth (the registry) has, and this service's mirror of it does not
    have yet: it will within a second or so. Not a 404, which a client (or a cache) would take as
    final."""

    status, slug, title = 503, "not-yet-known", "Not yet known here"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InsufficientStorage(JifangError):
    """The database has no room left for what was sent (its disk is full): nothing of it was
    kept; retry once an operator has made room."""

    status, slug, title = 507, "insufficient-storage", "Insufficient storage"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "60"}


class DependencyUnavailable(JifangError):
    """A dependency (database, broker, another service) is down: retry later."""

    status, slug, title = 503, "dependency-unavailable", "Dependency unavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _loc_to_field(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _not_json_body(request: Request, exc: RequestValidationError) -> bool:
    """A JSON body sent as another media type (FastAPI reads it as bytes, and the body then
    fails validation as a whole): that is a 415, not an invalid field."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type or content_type == "application/json" or content_type.endswith("+json"):
        return False
    return any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors())


def _allowed_methods(request: Request) -> str:
    """Every method the URL answers: each operation is a route of its own, and the router's 405
    names the methods of the first route whose path matched only."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods.update(route.methods)
    return ", ".join(sorted(methods))


def _answer(request: Request, err: JifangError) -> JSONResponse:
    return problem_response(
        err.status,
        err.slug,
        err.title,
        err.detail,
        instance=request.url.path,
        extensions=err.extensions(),
        headers=err.headers() or None,
    )


async def _on_jifang(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JifangError)
    return _answer(request, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if _not_json_body(request, exc):
        return _answer(request, UnsupportedMediaType("Send the body as application/json"))
    errors = [
        FieldError(_loc_to_field(e.get("loc", ())), str(e.get("type", "invalid")), str(e.get("msg", "")))
        for e in exc.errors()
    ]
    return _answer(request, ValidationFailed(errors))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's answer to a JSON body that is not UTF-8: invalid input, like any JSON it
        # cannot decode (json_invalid), not a bare 400.
        return _answer(request, ValidationFailed.single("body", "utf-8", "the body must be UTF-8 JSON"))
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        exc.status_code, slug, str(exc.detail), str(exc.detail), request.url.path, headers=headers or None
    )


async def _on_unreachable(request: Request, exc: Exception) -> JSONResponse:
    # The database or another dependency is down: say so and ask for a retry.
    log.warning("dependency unreachable: %s", type(exc).__name__)
    return _answer(request, DependencyUnavailable("A dependency is unreachable; retry shortly."))


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    # Through SQLAlchemy (the driver's error in .orig) or from the driver itself (COPY).
    if getattr(getattr(exc, "orig", exc), "sqlstate", None) not in CONFLICT_SQLSTATES:
        return await _on_unexpected(request, exc)
    # A concurrent request took the same key (or removed a row this one refers to) between the
    # check and the write: the same conflict the check reports, found by the database.
    return _answer(
        request,
        Conflict("Conflict with a concurrent change: a record with the same key exists, or was removed"),
    )


# The database is there but cannot take the write now: out of memory or connections (class
# 53 but disk_full), or read-only (a standby promoted late, a database set read-only).
_UNWRITABLE_SQLSTATES = ("53", "25006")
DISK_FULL = "53100"


async def _on_database(request: Request, exc: Exception) -> JSONResponse:
    states = _sqlstates(exc)
    if DISK_FULL in states:
        log.error("database storage full: %s", type(exc).__name__)
        return _answer(
            request,
            InsufficientStorage("The platform's storage is full: nothing was kept. Retry once it has room."),
        )
    if database_unreachable(exc) or any(s.startswith(_UNWRITABLE_SQLSTATES) for s in states):
        return await _on_unreachable(request, exc)
    return await _on_unexpected(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(500, "internal-error", "Internal error", "Internal error")


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to problem+json; nothing escapes as an HTML or bare 500."""
    app.add_exception_handler(JifangError, _on_jifang)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    for exc_type in UNREACHABLE_ERRORS:
        app.add_exception_handler(exc_type, _on_unreachable)
    for integrity_error in (sa_exc.IntegrityError, asyncpg.IntegrityConstraintViolationError):
        app.add_exception_handler(integrity_error, _on_integrity)
    for database_error in (sa_exc.DBAPIError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError):
        app.add_exception_handler(database_error, _on_database)
    app.add_exception_handler(Exception, _on_unexpected)
