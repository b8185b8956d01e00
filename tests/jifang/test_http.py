"""The HTTP frame's access log: one line per request, at debug level only."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from jifang.http import create_service_app


@asynccontextmanager
async def _no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


def _app() -> FastAPI:
    app = create_service_app(
        title="t",
        version="0",
        lifespan=_no_lifespan,
        registry=CollectorRegistry(),
        readiness_checks=lambda app: [],
        max_body_bytes=1024,
    )

    @app.get("/api/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    return app


async def _get(path: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        assert (await c.get(path)).status_code == 200


@pytest.mark.parametrize(("level", "logged"), [(logging.INFO, False), (logging.DEBUG, True)])
async def test_request_lines_only_at_debug_level(
    caplog: pytest.LogCaptureFixture, level: int, logged: bool
) -> None:
    with caplog.at_level(level, logger="jifang.http"):
        await _get("/api/v1/things/a1")
    requests = [r for r in caplog.records if r.name == "jifang.http" and r.getMessage() == "request"]
    assert len(requests) == (1 if logged else 0)
    if logged:
        (line,) = requests
        assert line.levelno == logging.DEBUG
        assert (line.route, line.status) == ("/api/v1/things/{thing_id}", 200)  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_need_no_internet(page: str) -> None:
    """Police networks have no internet: the API pages load every script, style and icon, and
    the document, from the service itself."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        r = await c.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        referenced = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", r.text)
        assert referenced
        assert not [u for u in referenced if "://" in u or u.startswith("//")], referenced
        assert "fonts.googleapis" not in r.text and "cdn." not in r.text
        kinds = {}
        for url in referenced:
            asset = await c.get(url)
            assert asset.status_code == 200, url
            kinds[url.rsplit(".", 1)[-1]] = asset.headers["content-type"]
    assert kinds["json"].startswith("application/json")
    assert "javascript" in kinds["js"]
    if page == "/docs":
        assert kinds["css"].startswith("text/css")
