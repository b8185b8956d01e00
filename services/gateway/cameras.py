"""Cameras as the registry knows them, read through its API with the gateway's service token
and kept a short while (a call-up costs no registry request while its camera is cached)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx

from jifang.errors import DependencyUnavailable
from jifang.registry_api import registry_client


@dataclass(frozen=True)
class Camera:
    camera_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    location_type: str | None
    jurisdiction: str
    district: str
    reachable: bool  # an ONVIF address on file: the platform reaches it
    networking: str | None  # the system's networking status, if it belongs to one


class RegistryCameras:
    def __init__(self, registry_url: str, service_token: str, max_age_s: float = 30.0) -> None:
        self._client = registry_client(registry_url, service_token, timeout_s=3.0)
        self.max_age_s = max_age_s
        self._cache: dict[uuid.UUID, tuple[float, Camera | None]] = {}

    async def get(self, camera_id: uuid.UUID) -> Camera | None:
        cached = self._cache.get(camera_id)
        if cached and time.monotonic() - cached[0] < self.max_age_s:
            return cached[1]
        try:
            camera = await self._fetch(camera_id)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("The registry is unreachable: the camera cannot be checked") from exc
        self._cache[camera_id] = (time.monotonic(), camera)
        return camera

    async def _fetch(self, camera_id: uuid.UUID) -> Camera | None:
        r = await self._client.get(f"/devices/{camera_id}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        d = r.json()
        unit = await self._client.get(f"/units/{d['unit_id']}")
        unit.raise_for_status()
        networking = None
        if d.get("system_id"):
            s = await self._client.get(f"/systems/{d['system_id']}")
            s.raise_for_status()
            networking = s.json()["networking"]
        return Camera(
            camera_id=camera_id,
            unit_id=uuid.UUID(d["unit_id"]),
            kind=d["kind"],
            location_type=d.get("location_type"),
            jurisdiction=unit.json()["jurisdiction"],
            district=d["district"],
            reachable=bool(d.get("onvif_address")),
            networking=networking,
        )

    async def close(self) -> None:
        await self._client.aclose()
