"""The gateway's cameras: read from the registry once however many call-ups ask at once, and
read again in the background while in use, so that no call-up waits for an expiry."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from jifang.auth import Role
from jifang.registry_client import RegistryClient
from services.gateway.cameras import RegistryCameras
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit


async def test_one_read_for_many_askers_and_none_waited_for_while_in_use(
    client: httpx.AsyncClient, registry_url: str, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    camera_id = uuid.UUID((await create_device(client, tech, unit["id"]))["id"])
    async with RegistryClient(registry_url, token(Role.SERVICE)) as registry:
        cameras = RegistryCameras(registry, max_age_s=1.0)
        seen = await asyncio.gather(*(cameras.get(camera_id) for _ in range(20)))
        assert cameras.reads == 1 and {c.camera_id for c in seen if c} == {camera_id}

        # In use past its refresh point (at most 0.8 of its age): answered from the cache at
        # once, read again meanwhile.
        await asyncio.sleep(0.85)
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await cameras.get(camera_id) is not None
        assert loop.time() - started < 0.005  # no registry round trip waited for
        await asyncio.sleep(0.1)
        assert cameras.reads == 2

        # Nobody asked for longer than its age: read when asked, the call-up waiting for it.
        await asyncio.sleep(1.2)
        await cameras.get(camera_id)
        assert cameras.reads == 3
