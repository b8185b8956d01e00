"""Cameras as the registry knows them, read through its camera view with the gateway's
service token and kept a short while (a call-up costs no registry request while its camera
is cached)."""

from __future__ import annotations

import time
import uuid

from jifang.errors import DependencyUnavailable
from jifang.fleet import CameraView
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable

Camera = CameraView


class RegistryCameras:
    def __init__(self, registry: RegistryClient, max_age_s: float = 30.0) -> None:
        self._registry = registry
        self.max_age_s = max_age_s
        self._cache: dict[uuid.UUID, tuple[float, Camera | None]] = {}

    async def get(self, camera_id: uuid.UUID) -> Camera | None:
        cached = self._cache.get(camera_id)
        if cached and time.monotonic() - cached[0] < self.max_age_s:
            return cached[1]
        try:
            camera = await self._registry.camera(camera_id)
        except (RegistryUnavailable, RegistryRefused) as exc:
            raise DependencyUnavailable("The registry is unreachable: the camera cannot be checked") from exc
        self._cache[camera_id] = (time.monotonic(), camera)
        return camera
