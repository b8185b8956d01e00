"""At start-up, ingest's mirror is made equal to the registry (through its API): the topic
may not hold the whole history (retention, a broker that lost its data), and a device the
registry no longer has must not be polled. Events keep the mirror current afterwards."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.registry_api import all_pages, registry_client
from services.ingest.repository import WatchedDeviceRepository


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession], registry_url: str, service_token: str
) -> tuple[int, int]:
    """(devices upserted, devices marked removed)."""
    async with registry_client(registry_url, service_token) as client:
        units = {u["id"]: u for u in await all_pages(client, "/units")}
        devices = await all_pages(client, "/devices")
    rows = [
        {
            "device_id": uuid.UUID(d["id"]),
            "unit_id": uuid.UUID(d["unit_id"]),
            "kind": d["kind"],
            "name": d["name"],
            "onvif_address": d["onvif_address"],
            "has_credentials": d["has_credentials"],
            "serial_number": d["serial_number"],
            "district": d["district"],
            "jurisdiction": units[d["unit_id"]]["jurisdiction"],
        }
        for d in devices
        if d["unit_id"] in units
    ]
    async with session_scope(sessionmaker) as session:
        repo = WatchedDeviceRepository(session)
        await repo.upsert_many(rows)
        gone = await repo.mark_removed_except({r["device_id"] for r in rows})
    return len(rows), gone
