"""A service's mirror of the registry's fleet: made equal to the registry's fleet view at
start-up (the topic may not hold the whole history, and a device the registry no longer has
must be dropped), then kept current by the registry's events.

The mechanism is the same for every service; what a service keeps of the fleet, and how an
event changes it, is its own :class:`FleetStore`. A batch of events is applied in one
transaction, the offsets committed only after it; a redelivered event (same event id) changes
nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.fleet import FleetEntry
from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.recording import from_proto
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2

log = logging.getLogger("jifang.mirror")


class FleetStore(Protocol):
    """What one service keeps of the fleet, in its own tables, bound to one session."""

    async def first_time(self, event_id: uuid.UUID) -> bool:
        """Record an event id; False if it was applied before (a redelivery)."""

    async def upsert(self, entries: Sequence[FleetEntry]) -> None:
        """Take in a page of the fleet view (start-up sync)."""

    async def remove_except(self, device_ids: set[uuid.UUID]) -> int:
        """After a full sync: drop every device not in the registry's fleet; how many were."""

    async def apply(self, event: registry_pb2.RegistryEvent) -> bool:
        """Apply one registry event; True if what the service keeps changed."""


def device_entry(event: registry_pb2.RegistryEvent) -> FleetEntry:
    """A ``device_changed`` event as a fleet entry: the device with its unit's district and
    jurisdiction (its place's category and its system's dates come with their own events), so
    that a store maps entries to its rows once, for the sync and the events alike."""
    d = event.device_changed

    def uuid_or_none(value: str) -> uuid.UUID | None:
        return uuid.UUID(value) if value else None

    return FleetEntry(
        unit_id=uuid.UUID(event.unit_id),
        unit_name="",
        district=d.district,
        jurisdiction=event.meta.jurisdiction,
        device_id=uuid.UUID(d.device_id),
        kind=d.kind,
        name=d.name,
        onvif_address=d.onvif_address or None,
        serial_number=d.serial_number or None,
        parent_id=uuid_or_none(d.parent_device_id),
        channel_no=d.channel_no or None,
        location_type=d.location_type or None,
        place_id=uuid_or_none(d.place_id),
        system_id=uuid_or_none(d.system_id),
        recording=from_proto(d.recording) if d.HasField("recording") else None,
        ptz_preset=d.ptz_preset or None,
    )


@dataclass(frozen=True)
class SyncResult:
    devices: int
    removed: int


async def sync_fleet(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: Callable[[AsyncSession], FleetStore],
    registry: RegistryClient,
) -> SyncResult:
    """Make the mirror equal to the registry's fleet view, in one transaction (a sync that
    fails half-way changes nothing)."""
    seen: set[uuid.UUID] = set()
    async with session_scope(sessionmaker) as session:
        fleet = store(session)
        async for page in registry.fleet():
            await fleet.upsert(page)
            seen.update(e.device_id for e in page if e.device_id is not None)
        removed = await fleet.remove_except(seen)
    return SyncResult(len(seen), removed)


class FleetMirror(TopicFollower):
    name = "fleet-mirror"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        store: Callable[[AsyncSession], FleetStore],
        consumer_factory: Callable[[], AIOKafkaConsumer],
        *,
        listener: Callable[[AIOKafkaConsumer], ConsumerRebalanceListener] | None = None,
        metrics: ConsumerMetrics | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(consumer_factory, [REGISTRY_TOPIC], listener, metrics=metrics)
        self.sessionmaker = sessionmaker
        self.store = store
        self.on_change = on_change
        self.applied = 0
        self.duplicates = 0

    async def sync(self, registry: RegistryClient) -> SyncResult:
        result = await sync_fleet(self.sessionmaker, self.store, registry)
        if self.on_change is not None:
            self.on_change()
        return result

    async def sync_or_warn(self, registry: RegistryClient) -> SyncResult | None:
        """Start-up: sync, or with the registry down start from the mirror and the events (the
        next start syncs again)."""
        try:
            result = await self.sync(registry)
        except (RegistryUnavailable, RegistryRefused) as exc:
            log.warning("registry unreachable at start-up: mirror not synced", extra={"error": str(exc)})
            return None
        log.info(
            "fleet synced with the registry", extra={"devices": result.devices, "removed": result.removed}
        )
        return result

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        changed = False
        async with session_scope(self.sessionmaker) as session:
            store = self.store(session)
            for record in records:
                if record.value is None:
                    continue
                event = registry_pb2.RegistryEvent.FromString(record.value)
                if not await store.first_time(uuid.UUID(event.meta.event_id)):
                    self.duplicates += 1
                    continue
                changed = await store.apply(event) or changed
                self.applied += 1
        if changed and self.on_change is not None:
            self.on_change()  # after the commit: readers see what was applied
