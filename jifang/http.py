"""The HTTP frame every service shares.

:func:`create_service_app` builds a FastAPI app with: problem+json errors,
request ids and access logs (debug level), a body-size limit, Prometheus request
metrics, and the health endpoints ``/healthz`` (alive), ``/readyz``
(dependencies reachable, else 503) and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jifang.db import ping, session_scope
from jifang.errors import PayloadTooLarge, install_problem_handlers, problem_response
from jifang.kafka import broker_bootstrap_check
from jifang.logging import configure_logging, request_id_var
from jifang.openapi import install_problem_documentation
from jifang.ratelimit import RATE_LIMITS, RateLimits
from jifang.settings import ServiceSettings
from jifang.state import AppSlot

log = logging.getLogger("jifang.http")
ReadinessCheck = Callable[[], Awaitable[None]]
# Where a service's lifespan puts its database engine (read by the readiness check).
DATABASE_ENGINE = AppSlot("engine", AsyncEngine)
REQUEST_ID_HEADER = "x-request-id"


class HttpMetrics:
    """Request count and latency by route template, method and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests served",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["route", "method", "status"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )


class Readiness:
    """Runs the readiness checks (3 s each, concurrently) and keeps their last result as
    ``service_ready`` and ``service_dependency_up{dependency}``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.ready = Gauge(
            "service_ready", "1 if every dependency answered at the last check", registry=registry
        )
        self.dependency_up = Gauge(
            "service_dependency_up",
            "1 if the dependency answered at the last check",
            ["dependency"],
            registry=registry,
        )

    async def check(self, checks: Sequence[tuple[str, ReadinessCheck]]) -> dict[str, str]:
        results: dict[str, str] = {}

        async def run(name: str, check: ReadinessCheck) -> None:
            try:
                await asyncio.wait_for(check(), timeout=3)
                results[name] = "ok"
            except Exception as exc:  # any failure means not ready
                results[name] = f"unreachable: {type(exc).__name__}"

        await asyncio.gather(*(run(n, c) for n, c in checks))
        for name, result in results.items():
            self.dependency_up.labels(name).set(result == "ok")
        self.ready.set(all(v == "ok" for v in results.values()))
        return results


class RouteTemplates:
    """Maps a matched route to its full path template (``/api/v1/units/{unit_id}``):
    routes of included routers only know their own part."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._by_route: dict[int, str] | None = None

    def template(self, route: object) -> str:
        if self._by_route is None:
            self._by_route = {
                id(ctx.original_route): ctx.path_format or "" for ctx in iter_route_contexts(self.app.routes)
            }
        return self._by_route.get(id(route)) or getattr(route, "path", None) or "<unmatched>"


class RequestContextMiddleware:
    """Request id in, request id out, an access log line (debug level), metrics."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, templates: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode())
        rid = incoming.decode("latin-1")[:128] if incoming else uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = self.templates.template(route) if route is not None else "<unmatched>"
            labels = (template, scope["method"], str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(elapsed)
            if template not in ("/metrics", "/healthz", "/readyz"):
                log.debug(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)


class InputGuardMiddleware:
    """Refuse bodies over the limit with 413 before any handler buffers them, and URLs
    carrying NUL characters (no text column can hold them) with 400."""

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        # Routes that legitimately take larger bodies (uploads, imports), by path prefix; a `*`
        # stands for one path segment (`/api/v1/units/*/management-rules/`).
        self.overrides = [
            (re.compile("[^/]+".join(map(re.escape, prefix.split("*")))), limit)
            for prefix, limit in (overrides or {}).items()
        ]

    def _limit(self, path: str) -> int:
        for prefix, limit in self.overrides:
            if prefix.match(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            response = problem_response(
                400, "bad-request", "Bad request", "The URL must not contain NUL characters.", None
            )
            await response(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        err = PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        response = problem_response(err.status, err.slug, err.title, err.detail, scope["path"])
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def request_transaction(maker_of: Callable[[Request], async_sessionmaker[AsyncSession]]) -> Any:
    """``Annotated[AsyncSession, request_transaction(...)]``: the request's unit of work. The edge
    owns the transaction: committed when the endpoint returns, rolled back on an error. Scope
    "function": the commit ends before the response is sent, so an answer means committed and a
    commit that fails answers 503 (FastAPI's default, "request", commits after the answer)."""

    async def session(request: Request) -> AsyncIterator[AsyncSession]:
        async with session_scope(maker_of(request)) as unit_of_work:
            yield unit_of_work

    return Depends(session, scope="function")


def database_and_broker(
    bootstrap_servers: str,
) -> Callable[[FastAPI], Sequence[tuple[str, ReadinessCheck]]]:
    """Readiness of a service that needs its database (in :data:`DATABASE_ENGINE`) and the broker."""

    def checks(app: FastAPI) -> Sequence[tuple[str, ReadinessCheck]]:
        return [
            ("database", lambda: ping(DATABASE_ENGINE.of(app))),
            ("broker", lambda: broker_bootstrap_check(bootstrap_servers)),
        ]

    return checks


DOCS_ASSETS = "/docs/assets"


def serve_docs_offline(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their scripts and styles served by the service
    itself: police networks have no internet, so no CDN."""
    assets = importlib.resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def create_service_app(
    *,
    title: str,
    version: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    registry: CollectorRegistry,
    readiness_checks: Callable[[FastAPI], Sequence[tuple[str, ReadinessCheck]]],
    max_body_bytes: int,
    body_limit_overrides: dict[str, int] | None = None,
    description: str = "",
    rate_limits: RateLimits | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        description=description,
        docs_url=None,
        redoc_url=None,
    )
    if rate_limits is not None:
        RATE_LIMITS.set(app, rate_limits)
    serve_docs_offline(app)
    install_problem_handlers(app)
    install_problem_documentation(app)
    app.add_middleware(InputGuardMiddleware, max_bytes=max_body_bytes, overrides=body_limit_overrides)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry), templates=RouteTemplates(app))

    @app.get(
        "/healthz",
        tags=["health"],
        operation_id="health.live",
        summary="Liveness: the process answers",
        responses={200: {"content": {"application/json": {"example": {"status": "alive"}}}}},
    )
    async def healthz() -> dict[str, str]:
        """Answers as long as the process runs (the kubelet's liveness probe); checks nothing else."""
        return {"status": "alive"}

    readiness = Readiness(registry)

    @app.get(
        "/readyz",
        tags=["health"],
        operation_id="health.ready",
        summary="Readiness: database and broker reachable",
        responses={
            200: {
                "content": {
                    "application/json": {
                        "example": {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
                    }
                }
            },
            503: {"description": "A dependency is unreachable (the problem names each check's result)"},
        },
    )
    async def readyz(request: Request) -> Response:
        """Checks every dependency (3 s each, at once): 200 when all answer, else 503 with each
        check's result; the kubelet takes the pod out of its Service meanwhile."""
        results = await readiness.check(readiness_checks(request.app))
        if all(v == "ok" for v in results.values()):
            return JSONResponse({"status": "ready", "checks": results})
        return problem_response(
            503,
            "not-ready",
            "Not ready",
            "A dependency is unreachable.",
            "/readyz",
            extensions={"checks": results},
            headers={"Retry-After": "5"},
        )

    @app.get(
        "/metrics",
        tags=["health"],
        operation_id="health.metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "content": {
                    CONTENT_TYPE_LATEST: {
                        "schema": {"type": "string"},
                        "example": "# HELP service_ready 1 if every dependency answered at the last check\n"
                        "# TYPE service_ready gauge\nservice_ready 1.0\n",
                    }
                }
            }
        },
    )
    async def metrics(request: Request) -> Response:
        """The Prometheus text exposition of this process's metrics; readiness is checked
        again at each scrape."""
        # Readiness as of this scrape: Prometheus sees a dependency outage even where no
        # kubelet probes (make run), and an alert needs no second source.
        await readiness.check(readiness_checks(request.app))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def serve(app_factory: str, settings: ServiceSettings) -> None:
    """Run a service's app with uvicorn on its settings' host and port, with their number of
    worker processes and log level."""

    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        workers=settings.workers,
    )
