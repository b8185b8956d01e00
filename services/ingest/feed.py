"""The fleet as ingest keeps it: the shared fleet mirror (:mod:`jifang.mirror`) applied to
ingest's own table of watched devices.

The mirror's consumer group also splits the fleet between ingest replicas: the registry topic
is keyed by unit, and a replica polls the devices of the units whose partitions the group
gave it. When a replica dies, the group's coordinator hands its partitions to the others
after the session timeout, and they poll those devices from the shared table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.fleet import FleetEntry, device_rows
from jifang.follow import ConsumerMetrics
from jifang.kafka import partition_of
from jifang.mirror import FleetMirror, device_entry
from jifang.v1 import registry_pb2
from services.ingest.repository import WatchedDeviceRepository

log = logging.getLogger("ingest.feed")


class FleetShare:
    """The units this replica owns: those whose registry partition the group assigned it.

    Only assignments count, never revocations: during a rebalance the replica keeps polling
    what it had until the new assignment arrives (a moment of overlap rather than a gap).
    """

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.partitions: frozenset[int] = frozenset()
        self.partition_count = 0
        self.version = 0  # bumped on each assignment and fleet change: the poller reloads then

    def changed(self) -> None:
        """The mirror table changed (registry events applied): the poller reloads now."""
        self.version += 1

    def assign(self, partitions: frozenset[int], partition_count: int) -> None:
        self.partitions, self.partition_count = partitions, partition_count
        self.version += 1
        log.info(
            "fleet share assigned",
            extra={"partitions": sorted(partitions), "of": partition_count},
        )

    def owns(self, unit_id: uuid.UUID) -> bool:
        if not self.partition_count:
            return False
        return partition_of(str(unit_id).encode(), self.partition_count) in self.partitions


class _ShareListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, share: FleetShare, consumer: AIOKafkaConsumer) -> None:
        self.share, self.consumer = share, consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        count = len(self.consumer.partitions_for_topic(self.share.topic) or ())
        mine = frozenset(tp.partition for tp in assigned if tp.topic == self.share.topic)
        self.share.assign(mine, count)


class WatchedFleet:
    """Ingest's :class:`jifang.mirror.FleetStore`: the devices to poll, with their unit's
    district and jurisdiction (most registry events, findings and filings among them, do not
    concern ingest)."""

    def __init__(self, session: AsyncSession) -> None:
        self.devices = WatchedDeviceRepository(session)

    async def first_time(self, event_id: uuid.UUID) -> bool:
        return await self.devices.first_time(event_id)

    async def upsert(self, entries: Sequence[FleetEntry]) -> None:
        await self.devices.upsert_many(
            device_rows(entries, "serial_number", "district", "jurisdiction", "ptz_preset")
        )

    async def remove_except(self, device_ids: set[uuid.UUID]) -> int:
        return await self.devices.mark_removed_except(device_ids)

    async def apply(self, event: registry_pb2.RegistryEvent) -> bool:
        body = event.WhichOneof("body")
        unit_id = uuid.UUID(event.unit_id)
        if body == "device_changed":
            await self.upsert([device_entry(event)])
        elif body == "device_removed":
            await self.devices.mark_removed(uuid.UUID(event.device_removed.device_id))
        elif body == "device_replaced":
            await self.devices.set_serial(
                uuid.UUID(event.device_replaced.device_id), event.device_replaced.new_serial_number
            )
        elif body == "unit_changed":
            u = event.unit_changed
            if u.closed:  # closed (注销): its devices are no longer polled
                await self.devices.mark_unit_removed(unit_id)
            else:
                await self.devices.move_unit(unit_id, u.district, u.jurisdiction)
        else:
            return False
        return True


def fleet_mirror(
    sessionmaker: async_sessionmaker[AsyncSession],
    consumer_factory: Callable[[], AIOKafkaConsumer],
    share: FleetShare,
    metrics: ConsumerMetrics | None = None,
) -> FleetMirror:
    """Ingest's mirror: its consumer group's assignment is this replica's share of the fleet,
    and every change makes the poller reload."""
    return FleetMirror(
        sessionmaker,
        WatchedFleet,
        consumer_factory,
        listener=lambda consumer: _ShareListener(share, consumer),
        metrics=metrics,
        on_change=share.changed,
    )
