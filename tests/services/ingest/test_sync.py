"""At start-up ingest's mirror is made equal to the registry's fleet view: what the topic no
longer holds is learnt from the registry, and devices the registry no longer has stop being
watched."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.db import session_scope
from jifang.mirror import sync_fleet
from jifang.registry_client import RegistryClient
from services.ingest.feed import WatchedFleet
from services.ingest.repository import WatchedDeviceRepository
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit


async def test_mirror_equals_the_registry_after_the_start_up_sync(
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    ids = []
    for name, preset in (("东门", "2"), ("西门", None)):
        device = await create_device(
            client,
            tech,
            unit["id"],
            name=name,
            onvif_address="http://127.0.0.1:9/onvif/device_service",
            ptz_preset=preset,
        )
        ids.append(uuid.UUID(device["id"]))
    ghost = uuid.uuid4()
    maker = ingest_maker
    async with session_scope(maker) as session:
        await WatchedDeviceRepository(session).upsert(
            {
                "device_id": ghost,
                "unit_id": uuid.uuid4(),
                "kind": "camera",
                "name": "gone",
                "onvif_address": "http://127.0.0.1:9/",
                "serial_number": None,
                "district": "x",
                "jurisdiction": "harbin-2008",
            }
        )
    async with RegistryClient(registry_url, token(Role.SERVICE)) as registry:
        synced = await sync_fleet(maker, WatchedFleet, registry)
    assert synced.devices >= 2 and synced.removed >= 1
    async with maker() as session:
        repo = WatchedDeviceRepository(session)
        active = {d.device_id: d for d in await repo.active()}
        assert all(i in active for i in ids) and ghost not in active
        assert {active[i].jurisdiction for i in ids} == {"kunming-2012"}
        assert {active[i].district for i in ids} == {unit["district"]}
        assert [active[i].ptz_preset for i in ids] == ["2", None]  # the preset it must rest at
        ghost_row = await repo.get(ghost)
        assert ghost_row is not None and ghost_row.removed
