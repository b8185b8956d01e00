"""The fleet as ingest learns it: the registry's events, applied to ingest's own table.

Offsets are committed only after the database commit; a redelivered event (same event id)
changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.kafka import consume_batch
from jifang.runner import LongRunningService
from jifang.v1 import registry_pb2
from services.ingest.repository import WatchedDeviceRepository


class RegistryFeed(LongRunningService):
    name = "registry-feed"

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], consumer_factory: Callable[[], AIOKafkaConsumer]
    ) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.consumer_factory = consumer_factory
        self._consumer: AIOKafkaConsumer | None = None
        self.applied = 0
        self.duplicates = 0

    async def run_once(self) -> float:
        if self._consumer is None:
            consumer = self.consumer_factory()
            await consumer.start()
            self._consumer = consumer
        await consume_batch(self._consumer, self.apply, timeout_ms=500)
        return 0

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        async with session_scope(self.sessionmaker) as session:
            repo = WatchedDeviceRepository(session)
            for record in records:
                if record.value is None:
                    continue
                event = registry_pb2.RegistryEvent.FromString(record.value)
                if not await repo.first_time(uuid.UUID(event.meta.event_id)):
                    self.duplicates += 1
                    continue
                await self._apply_one(repo, event)
                self.applied += 1

    @staticmethod
    async def _apply_one(repo: WatchedDeviceRepository, event: registry_pb2.RegistryEvent) -> None:
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

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
