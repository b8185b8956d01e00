"""Ingest learns the fleet from the registry's events (not its tables): devices added,
changed, removed, units moved; a redelivered event changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.topics import REGISTRY_TOPIC
from services.ingest.models import WatchedDevice
from services.ingest.repository import WatchedDeviceRepository
from tests.conftest import TokenFactory, auth
from tests.services.ingest.conftest import feed_for
from tests.services.registry.factories import create_device, create_unit


async def test_the_fleet_follows_the_registry(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
) -> None:
    maker = ingest_maker
    feed = feed_for(maker, bootstrap)
    await feed.start()
    try:
        tech = auth(token(Role.TECH_OFFICE))
        unit = await create_unit(client, tech, jurisdiction="kunming-2012")
        devices = []
        for name in ("大门", "金库"):
            device = await create_device(
                client,
                tech,
                unit["id"],
                name=name,
                onvif_address="http://127.0.0.1:1/onvif/device_service",
                username="u",
                password="p",
            )
            devices.append(device)
        await client.patch(f"/api/v1/devices/{devices[0]['id']}", json={"name": "正门"}, headers=tech)
        await client.delete(f"/api/v1/devices/{devices[1]['id']}", headers=tech)
        await client.patch(f"/api/v1/units/{unit['id']}", json={"district": "盘龙区"}, headers=tech)

        async def mirror() -> dict[str, WatchedDevice]:
            async with maker() as session:
                rows = await session.scalars(
                    select(WatchedDevice).where(WatchedDevice.unit_id == uuid.UUID(unit["id"]))
                )
                return {str(r.device_id): r for r in rows}

        for _ in range(100):
            seen = await mirror()
            if (
                len(seen) == 2
                and seen[devices[0]["id"]].district == "盘龙区"
                and seen[devices[1]["id"]].removed
            ):
                break
            await asyncio.sleep(0.2)
        first, second = seen[devices[0]["id"]], seen[devices[1]["id"]]
        assert (first.name, first.district, first.jurisdiction, first.removed) == (
            "正门",
            "盘龙区",
            "kunming-2012",
            False,
        )
        assert second.removed
        async with maker() as session:
            active = {str(d.device_id) for d in await WatchedDeviceRepository(session).active()}
        assert devices[0]["id"] in active and devices[1]["id"] not in active

        # The same events delivered again change nothing.
        replay = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await replay.start()
        try:
            tps = [
                TopicPartition(REGISTRY_TOPIC, p) for p in replay.partitions_for_topic(REGISTRY_TOPIC) or []
            ]
            replay.assign(tps)
            await replay.seek_to_beginning(*tps)
            records = [
                r for rs in (await replay.getmany(timeout_ms=2000, max_records=100000)).values() for r in rs
            ]
        finally:
            await replay.stop()
        ours = [SimpleNamespace(value=r.value) for r in records if r.key == unit["id"].encode()]
        assert ours
        before = feed.duplicates
        await feed.apply(ours)  # type: ignore[arg-type]
        assert feed.duplicates - before == len(ours)
        after = await mirror()
        assert (after[devices[0]["id"]].name, after[devices[1]["id"]].removed) == ("正门", True)
    finally:
        await feed.stop()


async def test_a_new_device_is_watched_within_a_second_and_a_closed_units_no_more(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    token: TokenFactory,
    ingest_maker: async_sessionmaker[AsyncSession],
    bootstrap: str,
) -> None:
    feed = feed_for(ingest_maker, bootstrap)
    await feed.start()
    loop = asyncio.get_running_loop()
    tech = auth(token(Role.TECH_OFFICE))

    async def watched(device: dict[str, Any], removed: bool, within_s: float) -> float:
        started = loop.time()
        while loop.time() - started < within_s:
            async with ingest_maker() as session:
                row = await WatchedDeviceRepository(session).get(uuid.UUID(device["id"]))
            if row is not None and row.removed == removed:
                return loop.time() - started
            await asyncio.sleep(0.02)
        raise AssertionError(f"{device['name']} not {'removed' if removed else 'watched'} in {within_s} s")

    async def new_camera() -> dict[str, Any]:
        unit = await create_unit(client, tech)
        return await create_device(
            client, tech, unit["id"], onvif_address="http://127.0.0.1:1/onvif/device_service"
        )

    try:
        await watched(await new_camera(), removed=False, within_s=30)  # the feed has joined its group
        camera = await new_camera()
        assert await watched(camera, removed=False, within_s=5) < 1.0
        r = await client.post(
            f"/api/v1/units/{camera['unit_id']}/close", json={"reason": "停业"}, headers=tech
        )
        assert r.status_code == 200, r.text
        assert await watched(camera, removed=True, within_s=5) < 1.0
    finally:
        await feed.stop()
