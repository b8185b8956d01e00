"""The platform's one public entry: `/api/<service>/...` forwarded to the internal services'
`/api/v1/...`, with the caller's own bearer token (each service checks the roles itself) and
request id, bounded in time, limited per principal (:mod:`jifang.ratelimit`), a 503 with
Retry-After when the service behind is down and a 502 when its answer cannot be read."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from fastapi import Request, Response

from jifang.errors import DependencyUnavailable, JifangError, NotFound
from jifang.logging import request_id_var

# The services behind the public entry, and the methods forwarded to them.
FORWARDED_SERVICES = ("registry", "retention")
FORWARDED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Headers passed back to the caller (hop-by-hop and the services' own ones stay behind).
PASSED_BACK = ("content-type", "content-disposition", "location", "retry-after", "cache-control")


class BadGateway(JifangError):
    """The service behind answered, but not with HTTP (it closed or reset the connection)."""

    status, slug, title = 502, "bad-gateway", "Bad gateway"


class ServiceProxy:
    def __init__(self, upstreams: dict[str, str], timeout_s: float) -> None:
        self.upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def forward(self, service: str, path: str, request: Request) -> Response:
        base = self.upstreams.get(service)
        if base is None:
            raise NotFound(f"No service {service!r} behind the gateway")
        if any(segment in (".", "..") for segment in path.split("/")):
            # A dot segment would lead out of the service's /api/v1 (to its metrics, its docs).
            raise NotFound(f"No such path on the {service}")
        headers = {"X-Request-ID": request_id_var.get() or ""}
        for name in ("authorization", "content-type", "accept"):
            if name in request.headers:
                headers[name] = request.headers[name]
        if request.client:
            headers["X-Forwarded-For"] = request.client.host
        try:
            upstream = await self._client.request(
                request.method,
                f"{base}/api/v1/{quote(path)}",
                params=list(request.query_params.multi_items()),
                content=await request.body(),
                headers=headers,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise DependencyUnavailable(f"The {service} service is unreachable; retry shortly") from exc
        except httpx.TimeoutException as exc:
            raise DependencyUnavailable(
                f"The {service} service did not answer in time; retry shortly"
            ) from exc
        except httpx.TransportError as exc:
            raise BadGateway(f"The {service} service's answer could not be read") from exc
        passed = {k: v for k, v in upstream.headers.items() if k.lower() in PASSED_BACK}
        return Response(upstream.content, status_code=upstream.status_code, headers=passed)

    async def close(self) -> None:
        await self._client.aclose()
