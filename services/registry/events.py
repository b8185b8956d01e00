"""Registry events: built as protobuf and written to the outbox in the caller's transaction."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.events import event_meta
from jifang.outbox import enqueue
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2
from services.registry.models import OutboxEvent, Place


def _envelope(unit_id: uuid.UUID, jurisdiction: str, body: Message) -> tuple[uuid.UUID, str, bytes]:
    meta = event_meta("registry", jurisdiction)
    event = registry_pb2.RegistryEvent(meta=meta, unit_id=str(unit_id))
    field = _BODY_FIELDS[type(body)]
    getattr(event, field).CopyFrom(body)
    return uuid.UUID(meta.event_id), field, event.SerializeToString()


def outbox_row(unit_id: uuid.UUID, jurisdiction: str, body: Message) -> dict[str, object]:
    """An outbox row as a dict, for bulk inserts (imports)."""
    event_id, field, payload = _envelope(unit_id, jurisdiction, body)
    return {
        "event_id": event_id,
        "topic": REGISTRY_TOPIC,
        "key": str(unit_id),
        "event_type": field,
        "payload": payload,
    }


def publish(
    session: AsyncSession,
    *,
    unit_id: uuid.UUID,
    jurisdiction: str,
    body: Message,
) -> uuid.UUID:
    """Record one event for ``unit_id``; it is sent once the transaction commits."""
    event_id, field, payload = _envelope(unit_id, jurisdiction, body)
    enqueue(
        session,
        OutboxEvent,
        topic=REGISTRY_TOPIC,
        key=str(unit_id),
        event_type=field,
        payload=payload,
        event_id=event_id,
    )
    return event_id


def place_event(place: Place) -> registry_pb2.PlaceChanged:
    return registry_pb2.PlaceChanged(
        place_id=str(place.id),
        name=place.name,
        category=place.category or "",
        kind=place.kind.value,
        location_type=place.location_type.value if place.location_type else "",
    )


_BODY_FIELDS: dict[type[Message], str] = {
    registry_pb2.UnitChanged: "unit_changed",
    registry_pb2.PlaceChanged: "place_changed",
    registry_pb2.SystemChanged: "system_changed",
    registry_pb2.DeviceChanged: "device_changed",
    registry_pb2.DeviceRemoved: "device_removed",
    registry_pb2.DeviceReplaced: "device_replaced",
    registry_pb2.DeviceConnectivityChanged: "device_connectivity_changed",
    registry_pb2.FindingChanged: "finding_changed",
    registry_pb2.FilingChanged: "filing_changed",
    registry_pb2.InspectionRecorded: "inspection_recorded",
}
