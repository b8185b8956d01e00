"""Cameras as the registry knows them, read through its camera view with the gateway's
service token and kept a short while (a call-up costs no registry request while its camera
is cached).

An entry is never older than ``max_age_s``. Before it gets there, a call-up that finds it past
a point drawn for it (``REFRESH_AT``) has it read again in the background while answering from it, so
that cameras in use are not all read again at once, each making its call-up wait (that herd was
the worst of the call-up's tail: every camera cached by the warm-up expired in the same second).
A camera nobody asked for lately is read when asked, once however many call-ups ask at once.

The age is a bound, not the rule: the gateway follows the registry's events, and any change of a
unit (a camera deleted, its place made forbidden, the unit closed, a system disconnected) drops
its cameras at once (:meth:`RegistryCameras.forget`). A read under way when a change arrives is
answered but not kept, so that nothing read before a change outlives it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterable

from jifang.errors import DependencyUnavailable
from jifang.fleet import CameraView
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable

Camera = CameraView
# Between these fractions of max_age (drawn per entry), a hit also has the entry read again.
REFRESH_AT = (0.4, 0.8)


class RegistryCameras:
    def __init__(self, registry: RegistryClient, max_age_s: float = 30.0) -> None:
        self._registry = registry
        self.max_age_s = max_age_s
        # camera -> (read at, refresh from, the camera or None): each entry's refresh point is
        # drawn on its own, so that cameras read together are not all read again together.
        self._cache: dict[uuid.UUID, tuple[float, float, Camera | None]] = {}
        self._reading: dict[uuid.UUID, asyncio.Task[Camera | None]] = {}
        self.reads = 0
        # Counts the changes seen: a read that started before one is not kept.
        self._changes = 0
        # The cached cameras of each unit and of each NVR (its channels): a change drops them
        # without a pass over the whole cache (a bulk import is thousands of changes).
        self._by_owner: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def get(self, camera_id: uuid.UUID) -> Camera | None:
        cached = self._cache.get(camera_id)
        if cached is not None:
            read_at, refresh_from, camera = cached
            now = time.monotonic()
            if now - read_at < self.max_age_s:
                if now >= refresh_from:
                    self._read(camera_id)  # in the background: this call-up does not wait
                return camera
        try:
            return await asyncio.shield(self._read(camera_id))
        except (RegistryUnavailable, RegistryRefused) as exc:
            raise DependencyUnavailable("The registry is unreachable: the camera cannot be checked") from exc

    def _read(self, camera_id: uuid.UUID) -> asyncio.Task[Camera | None]:
        """The one read of this camera under way, or a new one."""
        task = self._reading.get(camera_id)
        if task is None:
            task = self._reading[camera_id] = asyncio.create_task(self._fetch(camera_id))
            # A read in the background that fails is no one's error: the next call-up reads again.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    async def _fetch(self, camera_id: uuid.UUID) -> Camera | None:
        try:
            self.reads += 1
            changes = self._changes
            camera = await self._registry.camera(camera_id)
            now = time.monotonic()
            if changes == self._changes:
                self._cache[camera_id] = (now, now + self.max_age_s * random.uniform(*REFRESH_AT), camera)
                for owner in (camera.unit_id, camera.parent_id) if camera is not None else ():
                    if owner is not None:
                        self._by_owner.setdefault(owner, set()).add(camera_id)
            return camera
        finally:
            del self._reading[camera_id]

    def forget(self, unit_id: uuid.UUID, device_ids: Iterable[uuid.UUID] = ()) -> int:
        """A change of the unit ``unit_id`` (or of these devices, also of a unit not known as
        theirs yet: a camera created since it was read as missing): its cameras, an NVR's
        channels and the devices are read again when next asked. How many entries were dropped."""
        self._changes += 1
        devices = set(device_ids)
        stale = devices | self._by_owner.pop(unit_id, set())
        for device in devices:
            stale |= self._by_owner.pop(device, set())  # an NVR's channels
        return sum(self._cache.pop(camera_id, None) is not None for camera_id in stale)
