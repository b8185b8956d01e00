"""The fleet as retention learns it: the registry's API at start-up (the topic may not hold the
whole history), then the registry's events. Offsets are committed only after the database
commit; a redelivered event (same event id) changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.registry_api import all_pages, registry_client
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2
from services.retention.repository import FleetRepository

log = logging.getLogger("retention.feed")


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def device_row(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "device_id": uuid.UUID(d["id"]),
        "unit_id": uuid.UUID(d["unit_id"]),
        "kind": d["kind"],
        "name": d["name"],
        "onvif_address": d["onvif_address"],
        "parent_id": _uuid(d.get("parent_id")),
        "channel_no": d.get("channel_no"),
        "place_id": _uuid(d.get("place_id")),
        "system_id": _uuid(d.get("system_id")),
    }


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession],
    registry_url: str,
    service_token: str,
    concurrency: int = 8,
) -> tuple[int, int]:
    """Make the mirror equal to the registry; (devices, devices marked removed)."""
    async with registry_client(registry_url, service_token) as client:
        units = await all_pages(client, "/units")
        devices = await all_pages(client, "/devices")
        with_devices = sorted({d["unit_id"] for d in devices})
        slots = asyncio.Semaphore(concurrency)

        async def of_unit(unit_id: str, what: str) -> list[dict[str, Any]]:
            async with slots:
                r = await client.get(f"/units/{unit_id}/{what}")
                r.raise_for_status()
                items: list[dict[str, Any]] = r.json()
                return items

        places = await asyncio.gather(*(of_unit(u, "places") for u in with_devices))
        systems = await asyncio.gather(*(of_unit(u, "systems") for u in with_devices))
    known_units = {u["id"] for u in units}
    async with session_scope(sessionmaker) as session:
        repo = FleetRepository(session)
        await repo.upsert_units(
            [
                {
                    "unit_id": uuid.UUID(u["id"]),
                    "name": u["name"],
                    "district": u["district"],
                    "jurisdiction": u["jurisdiction"],
                }
                for u in units
            ]
        )
        await repo.upsert_places(
            [
                {
                    "place_id": uuid.UUID(p["id"]),
                    "unit_id": uuid.UUID(p["unit_id"]),
                    "category": p["category"],
                }
                for ps in places
                for p in ps
            ]
        )
        await repo.upsert_systems(
            [
                {
                    "system_id": uuid.UUID(s["id"]),
                    "unit_id": uuid.UUID(s["unit_id"]),
                    "acceptance_date": _date(s["acceptance_date"]),
                }
                for ss in systems
                for s in ss
            ]
        )
        rows = [device_row(d) for d in devices if d["unit_id"] in known_units]
        await repo.upsert_devices(rows)
        gone = await repo.remove_devices_except({r["device_id"] for r in rows})
    return len(rows), gone


async def reconcile_or_warn(
    sessionmaker: async_sessionmaker[AsyncSession], registry_url: str, service_token: str
) -> None:
    try:
        added, removed = await reconcile(sessionmaker, registry_url, service_token)
        log.info("fleet reconciled with the registry", extra={"devices": added, "removed": removed})
    except httpx.HTTPError as exc:
        # The registry is down: start from the mirror and the events; reconcile next start.
        log.warning("registry unreachable at start-up", extra={"error": type(exc).__name__})


class RegistryFeed(TopicFollower):
    name = "registry-feed"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        consumer_factory: Callable[[], AIOKafkaConsumer],
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__(consumer_factory, [REGISTRY_TOPIC], metrics=metrics)
        self.sessionmaker = sessionmaker
        self.applied = 0

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """A batch in one transaction (the offsets are committed after it)."""
        async with session_scope(self.sessionmaker) as session:
            repo = FleetRepository(session)
            for record in records:
                if record.value is None:
                    continue
                event = registry_pb2.RegistryEvent.FromString(record.value)
                if await repo.first_time(uuid.UUID(event.meta.event_id)):
                    await apply_event(repo, event)
                    self.applied += 1


async def apply_event(repo: FleetRepository, event: registry_pb2.RegistryEvent) -> None:
    body = event.WhichOneof("body")
    unit_id = uuid.UUID(event.unit_id)
    if body == "unit_changed":
        u = event.unit_changed
        await repo.upsert_units(
            [{"unit_id": unit_id, "name": u.name, "district": u.district, "jurisdiction": u.jurisdiction}]
        )
        await repo.move_unit(unit_id, u.district, u.jurisdiction)
    elif body == "place_changed":
        p = event.place_changed
        await repo.upsert_places(
            [
                {
                    "place_id": uuid.UUID(p.place_id),
                    "unit_id": unit_id,
                    "category": p.category or None,
                    "removed": p.removed,
                }
            ]
        )
    elif body == "system_changed":
        s = event.system_changed
        await repo.upsert_systems(
            [
                {
                    "system_id": uuid.UUID(s.system_id),
                    "unit_id": unit_id,
                    "acceptance_date": _date(s.acceptance_date),
                    "removed": s.removed,
                }
            ]
        )
    elif body == "device_changed":
        d = event.device_changed
        await repo.upsert_devices(
            [
                {
                    "device_id": uuid.UUID(d.device_id),
                    "unit_id": unit_id,
                    "kind": d.kind,
                    "name": d.name,
                    "onvif_address": d.onvif_address or None,
                    "parent_id": _uuid(d.parent_device_id),
                    "channel_no": d.channel_no or None,
                    "place_id": _uuid(d.place_id),
                    "system_id": _uuid(d.system_id),
                }
            ]
        )
    elif body == "device_removed":
        await repo.remove_device(uuid.UUID(event.device_removed.device_id))
