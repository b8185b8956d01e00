"""The one client of the registry's API, used by every service and the operator CLI.

Services read the fleet view, the camera view and device credentials with their service token;
the CLI imports, exports and lists with an operator's token. An answer the registry refused is
a :class:`RegistryRefused` carrying its problem document; a registry that cannot be reached or
fails is a :class:`RegistryUnavailable`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from jifang.fleet import CameraView, FleetEntry, FleetPage
from jifang.service_client import ServiceClient


class RegistryUnavailable(Exception):
    """The registry could not be reached, timed out or failed (5xx): try again later."""


class RegistryRefused(Exception):
    """The registry answered 4xx; ``problem`` is its RFC 9457 document (or the raw text)."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status = status
        self.problem = dict(problem)


@dataclass(frozen=True)
class Credentials:
    onvif_address: str | None
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # never print a password, even by accident
        return f"Credentials(onvif_address={self.onvif_address!r}, username={self.username!r}, password=***)"


class RegistryClient(ServiceClient):
    # --- the transport, one place for its errors ---

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            r = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if r.status_code >= 500:
            raise RegistryUnavailable(f"{method} {path}: {r.status_code}")
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"title": r.reason_phrase, "detail": r.text[:500]}
            raise RegistryRefused(r.status_code, problem)
        return r

    async def get(self, path: str, **params: Any) -> Any:
        return (await self._request("GET", path, params=params)).json()

    async def post(self, path: str, body: Any = None) -> Any:
        return (await self._request("POST", path, json=body)).json()

    # --- services ---

    async def fleet(self, units_per_page: int = 500) -> AsyncIterator[list[FleetEntry]]:
        """The whole fleet, a page of units (with all their devices) at a time."""
        after: uuid.UUID | None = None
        while True:
            params: dict[str, Any] = {"units": units_per_page}
            if after is not None:
                params["after_unit"] = str(after)
            page = FleetPage.model_validate_json(
                (await self._request("GET", "/internal/fleet", params=params)).content
            )
            if page.items:
                yield page.items
            if page.next_after_unit is None:
                return
            after = page.next_after_unit

    async def camera(self, camera_id: uuid.UUID) -> CameraView | None:
        """The camera as a call-up checks it; None if the registry has no such device."""
        try:
            r = await self._request("GET", f"/internal/cameras/{camera_id}")
        except RegistryRefused as refused:
            if refused.status == 404:
                return None
            raise
        return CameraView.model_validate_json(r.content)

    async def unit_exists(self, unit_id: uuid.UUID) -> bool:
        try:
            await self._request("GET", f"/units/{unit_id}")
        except RegistryRefused as refused:
            if refused.status == 404:
                return False
            raise
        return True

    async def credentials(
        self, device_ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, Credentials], list[uuid.UUID]]:
        """(credentials by device, devices the registry does not have) for up to 500 devices."""
        body = await self.post("/internal/devices/credentials", {"device_ids": [str(i) for i in device_ids]})
        found = {
            uuid.UUID(item["device_id"]): Credentials(
                item.get("onvif_address"), item.get("username"), item.get("password")
            )
            for item in body["items"]
        }
        return found, [uuid.UUID(i) for i in body["missing"]]

    # --- operators (the CLI) ---

    async def all_items(
        self, path: str, page_size: int = 500, **params: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paged list, page after page."""
        offset = 0
        while True:
            page = await self.get(path, **params, limit=page_size, offset=offset)
            for item in page["items"]:
                yield item
            offset += len(page["items"])
            if not page["items"] or (offset >= page["total"] and not page.get("total_capped")):
                return

    async def import_csv(self, kind: str, content: bytes) -> dict[str, Any]:
        r = await self._request(
            "POST", f"/imports/{kind}", content=content, headers={"Content-Type": "text/csv"}
        )
        report: dict[str, Any] = r.json()
        return report

    async def issue_enrollment_token(self, unit_id: str, label: str | None) -> dict[str, Any]:
        body: dict[str, Any] = await self.post(
            f"/units/{unit_id}/enrollment-tokens", {"label": label} if label else {}
        )
        return body
