"""Device credentials, read from the registry's internal API with the service token and
kept in memory only (never in Kafka, never in a service's tables, never logged)."""

from __future__ import annotations

import asyncio
import time
import uuid

from jifang.registry_client import Credentials, RegistryClient

__all__ = ["Credentials", "RegistryCredentials", "UnknownDevice"]


class UnknownDevice(LookupError):
    """The registry holds no such device (removed meanwhile)."""


class RegistryCredentials:
    """Fetches credentials in batches: the ids asked for within a few milliseconds go to the
    registry in one request (a fleet starting up costs tens of requests, not thousands)."""

    BATCH_MAX = 500

    def __init__(self, registry: RegistryClient, max_age_s: float = 3600.0, window_s: float = 0.02) -> None:
        self._registry = registry
        self.max_age_s = max_age_s
        self.window_s = window_s
        self._cache: dict[uuid.UUID, tuple[float, Credentials]] = {}
        self._wanted: dict[uuid.UUID, asyncio.Future[Credentials]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self.requests = 0

    async def get(self, device_id: uuid.UUID, *, refresh: bool = False) -> Credentials:
        cached = self._cache.get(device_id)
        if cached and not refresh and time.monotonic() - cached[0] < self.max_age_s:
            return cached[1]
        future = self._wanted.get(device_id)
        if future is None or future.done():
            future = self._wanted[device_id] = asyncio.get_running_loop().create_future()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        await asyncio.sleep(self.window_s)
        while self._wanted:
            ids = list(self._wanted)[: self.BATCH_MAX]
            batch = {i: self._wanted.pop(i) for i in ids}
            try:
                self.requests += 1
                found, _ = await self._registry.credentials(ids)
            except Exception as exc:
                for future in batch.values():
                    _settle(future, exc)
                continue
            now = time.monotonic()
            for device_id, creds in found.items():
                self._cache[device_id] = (now, creds)
                waiting = batch.pop(device_id, None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(creds)
            for device_id, future in batch.items():
                _settle(future, UnknownDevice(str(device_id)))

    def forget(self, device_id: uuid.UUID) -> None:
        self._cache.pop(device_id, None)

    async def close(self) -> None:
        """Stop fetching (the registry client is its owner's to close)."""
        if self._flusher is not None:
            self._flusher.cancel()


def _settle(future: asyncio.Future[Credentials], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # retrieved: a waiter that gave up meanwhile is no error
