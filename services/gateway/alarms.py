"""Live alarms for police operators over Server-Sent Events, from ingest's alarm topic,
filtered by district or unit.

Each event's id is the stream's position in every partition of the topic (a vector of next
offsets); a client that reconnects with ``Last-Event-ID`` resumes exactly there and misses
nothing that the topic still holds. No consumer group: each connection reads on its own.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.json_format import MessageToDict

from jifang.errors import ValidationFailed
from jifang.topics import ALARM_TOPIC
from jifang.v1 import ingest_pb2

HEARTBEAT_S = 15.0


@dataclass(frozen=True)
class AlarmFilter:
    district: str | None = None
    unit_id: uuid.UUID | None = None

    def matches(self, event: ingest_pb2.AlarmEvent) -> bool:
        if self.district is not None and event.district != self.district:
            return False
        return self.unit_id is None or event.unit_id == str(self.unit_id)


def encode_position(position: dict[int, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_position(value: str) -> dict[int, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(value.encode()))
        return {int(p): int(o) for p, o in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationFailed.single("Last-Event-ID", "position", "Not an event id of this stream") from exc


async def alarm_stream(
    consumer_factory: Callable[[], AIOKafkaConsumer],
    filters: AlarmFilter,
    last_event_id: str | None,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """SSE lines: `id`, `event: alarm`, `data` (the AlarmEvent as JSON); comments as heartbeats."""
    resume = decode_position(last_event_id) if last_event_id else None
    consumer = consumer_factory()
    await consumer.start()
    try:
        position = await _positioned(consumer, resume)
        yield f"retry: 2000\nid: {encode_position(position)}\n\n"
        idle = 0.0
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if not batches:
                idle += 1.0
                if idle >= heartbeat_s:
                    idle = 0.0
                    yield ": keep-alive\n\n"
                continue
            idle = 0.0
            for tp, records in sorted(batches.items(), key=lambda kv: kv[0].partition):
                for record in records:
                    position[tp.partition] = record.offset + 1
                    event = _alarm(record.value, filters)
                    if event is not None:
                        data = json.dumps(MessageToDict(event), ensure_ascii=False)
                        yield f"id: {encode_position(position)}\nevent: alarm\ndata: {data}\n\n"
    finally:
        await consumer.stop()


async def _positioned(consumer: AIOKafkaConsumer, resume: dict[int, int] | None) -> dict[int, int]:
    """Every partition of the topic assigned, at the end (a new stream) or where the client left
    off (a partition it had not seen from its beginning); the position per partition."""
    partitions = sorted(consumer.partitions_for_topic(ALARM_TOPIC) or ())
    if not partitions:
        await consumer._client.force_metadata_update()
        partitions = sorted(consumer.partitions_for_topic(ALARM_TOPIC) or ())
    tps = [TopicPartition(ALARM_TOPIC, p) for p in partitions]
    consumer.assign(tps)
    if resume is None:
        await consumer.seek_to_end(*tps)
    else:
        for tp in tps:
            if tp.partition in resume:
                consumer.seek(tp, resume[tp.partition])
            else:
                await consumer.seek_to_beginning(tp)
    return {tp.partition: await consumer.position(tp) for tp in tps}


def _alarm(value: bytes | None, filters: AlarmFilter) -> ingest_pb2.AlarmEvent | None:
    if value is None:
        return None
    event = ingest_pb2.AlarmEvent.FromString(value)
    return event if filters.matches(event) else None
