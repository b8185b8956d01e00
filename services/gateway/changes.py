"""The registry's changes, followed so that the gateway never grants a camera on what it read
before a change (a camera deleted, its place made forbidden, its unit closed). Every gateway
replica reads every change: a consumer group of its own, from the newest message on (what
happened before it started, its empty cache never read)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from prometheus_client import CollectorRegistry, Counter

from jifang.follow import ConsumerMetrics, TopicFollower
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2
from services.gateway.cameras import RegistryCameras


def changed_devices(event: registry_pb2.RegistryEvent) -> list[uuid.UUID]:
    body = event.WhichOneof("body")
    if body == "device_changed":
        return [uuid.UUID(event.device_changed.device_id)]
    if body == "device_removed":
        return [uuid.UUID(event.device_removed.device_id)]
    if body == "device_replaced":
        return [uuid.UUID(event.device_replaced.device_id)]
    return []


class RegistryChanges(TopicFollower):
    name = "registry-changes"

    def __init__(
        self,
        cameras: RegistryCameras,
        consumer_factory: Callable[[], AIOKafkaConsumer],
        registry: CollectorRegistry,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        super().__init__(consumer_factory, [REGISTRY_TOPIC], metrics=metrics)
        self.cameras = cameras
        self.dropped = Counter(
            "gateway_cameras_dropped_total",
            "Cached cameras dropped because the registry changed their unit or themselves",
            registry=registry,
        )

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            if record.value is None:
                continue
            event = registry_pb2.RegistryEvent.FromString(record.value)
            self.dropped.inc(self.cameras.forget(uuid.UUID(event.unit_id), changed_devices(event)))
