"""Reading the registry's API from another service, with its service token: the registry is
the source of truth that a service's own mirror is reconciled with."""

from __future__ import annotations

from typing import Any

import httpx


def registry_client(registry_url: str, service_token: str, timeout_s: float = 60.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=registry_url.rstrip("/") + "/api/v1",
        headers={"Authorization": f"Bearer {service_token}"},
        timeout=timeout_s,
    )


async def all_pages(client: httpx.AsyncClient, path: str, page_size: int = 500) -> list[dict[str, Any]]:
    """Every item of a paged list endpoint, read page after page."""
    items: list[dict[str, Any]] = []
    while True:
        r = await client.get(path, params={"limit": page_size, "offset": len(items)})
        r.raise_for_status()
        page = r.json()
        items.extend(page["items"])
        if not page["items"] or (len(items) >= page["total"] and not page.get("total_capped")):
            return items
