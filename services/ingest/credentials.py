"""Device credentials, read from the registry's internal API with the service token and
kept in memory only (never in Kafka, never in ingest's tables, never logged)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Credentials:
    onvif_address: str | None
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # never print a password, even by accident
        return f"Credentials(onvif_address={self.onvif_address!r}, username={self.username!r}, password=***)"


class RegistryCredentials:
    def __init__(self, registry_url: str, service_token: str, max_age_s: float = 3600.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=registry_url.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {service_token}"},
            timeout=10,
        )
        self.max_age_s = max_age_s
        self._cache: dict[uuid.UUID, tuple[float, Credentials]] = {}

    async def get(self, device_id: uuid.UUID, *, refresh: bool = False) -> Credentials:
        cached = self._cache.get(device_id)
        if cached and not refresh and time.monotonic() - cached[0] < self.max_age_s:
            return cached[1]
        r = await self._client.get(f"/internal/devices/{device_id}/credentials")
        r.raise_for_status()
        body = r.json()
        creds = Credentials(body.get("onvif_address"), body.get("username"), body.get("password"))
        self._cache[device_id] = (time.monotonic(), creds)
        return creds

    def forget(self, device_id: uuid.UUID) -> None:
        self._cache.pop(device_id, None)

    async def close(self) -> None:
        await self._client.aclose()
