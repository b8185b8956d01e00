"""The fleet as ingest learns it: the registry's events, applied to ingest's own table.

Offsets are committed only after the database commit; a redelivered event (same event id)
changes nothing.

The feed's consumer group also splits the fleet between ingest replicas: the registry topic
is keyed by unit, and a replica polls the devices of the units whose partitions the group
gave it. When a replica dies, the group's coordinator hands its partitions to the others
after the session timeout, and they poll those devices from the shared table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.kafka import partition_of
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


class RegistryFeed(TopicFollower):
    name = "registry-feed"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        consumer_factory: Callable[[], AIOKafkaConsumer],
        share: FleetShare,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__(
            consumer_factory,
            [share.topic],
            lambda consumer: _ShareListener(share, consumer),
            metrics=metrics,
        )
        self.sessionmaker = sessionmaker
        self.share = share
        self.applied = 0
        self.duplicates = 0

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        if await self._apply(records):
            self.share.changed()  # after the commit: the poller reads what was applied

    async def _apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        """Apply a batch in one transaction; True if the fleet mirror changed (most registry
        events, findings and filings among them, do not concern ingest)."""
        changed = False
        async with session_scope(self.sessionmaker) as session:
            repo = WatchedDeviceRepository(session)
            for record in records:
                if record.value is None:
                    continue
                event = registry_pb2.RegistryEvent.FromString(record.value)
                if not await repo.first_time(uuid.UUID(event.meta.event_id)):
                    self.duplicates += 1
                    continue
                changed = await self._apply_one(repo, event) or changed
                self.applied += 1
        return changed

    @staticmethod
    async def _apply_one(repo: WatchedDeviceRepository, event: registry_pb2.RegistryEvent) -> bool:
        body = event.WhichOneof("body")
        unit_id = uuid.UUID(event.unit_id)
        if body == "device_changed":
            d = event.device_changed
            await repo.upsert(
                {
                    "device_id": uuid.UUID(d.device_id),
                    "unit_id": unit_id,
                    "kind": d.kind,
                    "name": d.name,
                    "onvif_address": d.onvif_address or None,
                    "has_credentials": d.has_credentials,
                    "serial_number": d.serial_number or None,
                    "district": d.district,
                    "jurisdiction": event.meta.jurisdiction,
                }
            )
        elif body == "device_removed":
            await repo.mark_removed(uuid.UUID(event.device_removed.device_id))
        elif body == "device_replaced":
            await repo.set_serial(
                uuid.UUID(event.device_replaced.device_id), event.device_replaced.new_serial_number
            )
        elif body == "unit_changed":
            await repo.move_unit(unit_id, event.unit_changed.district, event.unit_changed.jurisdiction)
        else:
            return False
        return True
