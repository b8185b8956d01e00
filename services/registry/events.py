"""Registry events: each body built here from its rows, enveloped as protobuf and written to
the outbox in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.events import event_meta
from jifang.outbox import enqueue
from jifang.policy import PolicyBook
from jifang.recording import RecordingDeclaration, to_proto
from jifang.topics import REGISTRY_TOPIC
from jifang.v1 import registry_pb2
from services.registry.models import (
    Device,
    DeviceReplacement,
    FilingRecord,
    Finding,
    Inspection,
    MaintenanceWindow,
    OutboxEvent,
    Place,
    TechSystem,
    Unit,
)
from services.registry.offices import filing_office


def _envelope(unit_id: uuid.UUID, jurisdiction: str, body: Message) -> tuple[uuid.UUID, str, bytes]:
    meta = event_meta("registry", jurisdiction)
    event = registry_pb2.RegistryEvent(meta=meta, unit_id=str(unit_id))
    field = _BODY_FIELDS[type(body)]
    getattr(event, field).CopyFrom(body)
    return uuid.UUID(meta.event_id), field, event.SerializeToString()


def outbox_row(unit: Unit, body: Message) -> dict[str, object]:
    """An outbox row as a dict, for bulk inserts (imports)."""
    event_id, field, payload = _envelope(unit.id, unit.jurisdiction, body)
    return {
        "event_id": event_id,
        "topic": REGISTRY_TOPIC,
        "key": str(unit.id),
        "event_type": field,
        "payload": payload,
    }


def publish(session: AsyncSession, unit: Unit, body: Message) -> uuid.UUID:
    """Record one event of ``unit``; it is sent once the transaction commits."""
    event_id, field, payload = _envelope(unit.id, unit.jurisdiction, body)
    enqueue(
        session,
        OutboxEvent,
        topic=REGISTRY_TOPIC,
        key=str(unit.id),
        event_type=field,
        payload=payload,
        event_id=event_id,
    )
    return event_id


def unit_event(unit: Unit, book: PolicyBook) -> registry_pb2.UnitChanged:
    return registry_pb2.UnitChanged(
        name=unit.name,
        uscc=unit.uscc,
        district=unit.district,
        is_business=unit.is_business,
        security_affiliation=unit.security_affiliation.value,
        filing_office=filing_office(unit, book[unit.jurisdiction]),
        jurisdiction=unit.jurisdiction,
        closed=unit.closed_at is not None,
        closed_on=unit.closed_on.isoformat() if unit.closed_on else "",
    )


def place_event(place: Place, *, removed: bool = False) -> registry_pb2.PlaceChanged:
    return registry_pb2.PlaceChanged(
        place_id=str(place.id),
        name=place.name,
        category=place.category or "",
        kind=place.kind.value,
        location_type=place.location_type.value if place.location_type else "",
        removed=removed,
    )


def system_event(
    system: TechSystem, place_ids: Sequence[uuid.UUID], *, removed: bool = False
) -> registry_pb2.SystemChanged:
    return registry_pb2.SystemChanged(
        system_id=str(system.id),
        system_type=system.system_type.value,
        name=system.name,
        acceptance_date=system.acceptance_date.isoformat() if system.acceptance_date else "",
        networking=system.networking.value,
        place_ids=[str(p) for p in place_ids],
        in_use=system.in_use,
        removed=removed,
        recording=to_proto(RecordingDeclaration.model_validate(system.recording)),
    )


def device_event(device: Device | SimpleNamespace, district: str) -> registry_pb2.DeviceChanged:
    """The event of a device row, mapped or not (bulk import builds plain rows)."""
    event = registry_pb2.DeviceChanged(
        device_id=str(device.id),
        kind=device.kind.value,
        name=device.name,
        onvif_address=device.onvif_address or "",
        serial_number=device.serial_number or "",
        parent_device_id=str(device.parent_id) if device.parent_id else "",
        channel_no=device.channel_no or 0,
        location_type=device.location_type.value,
        place_id=str(device.place_id) if device.place_id else "",
        system_id=str(device.system_id) if device.system_id else "",
        has_credentials=device.password_ciphertext is not None,
        status=device.status.value,
        latitude=device.latitude or 0.0,
        longitude=device.longitude or 0.0,
        district=district,
        ptz_preset=getattr(device, "ptz_preset", None) or "",
    )
    own = getattr(device, "recording", None)
    if own is not None:
        event.recording.CopyFrom(to_proto(RecordingDeclaration.model_validate(own)))
    return event


def device_removed_event(device: Device) -> registry_pb2.DeviceRemoved:
    return registry_pb2.DeviceRemoved(device_id=str(device.id))


def device_replaced_event(replacement: DeviceReplacement) -> registry_pb2.DeviceReplaced:
    return registry_pb2.DeviceReplaced(
        device_id=str(replacement.device_id),
        old_serial_number=replacement.old_serial_number or "",
        new_serial_number=replacement.new_serial_number,
        articles=list(replacement.articles),
    )


def connectivity_event(device: Device) -> registry_pb2.DeviceConnectivityChanged:
    event = registry_pb2.DeviceConnectivityChanged(device_id=str(device.id), status=device.status.value)
    if device.status_since:
        event.since.FromDatetime(device.status_since)
    if device.last_heartbeat_at:
        event.last_heartbeat_at.FromDatetime(device.last_heartbeat_at)
    return event


def maintenance_window_event(window: MaintenanceWindow) -> registry_pb2.MaintenanceWindowChanged:
    event = registry_pb2.MaintenanceWindowChanged(
        window_id=str(window.id),
        device_ids=[str(d) for d in window.device_ids],
        cancelled=window.cancelled_at is not None,
    )
    event.starts_at.FromDatetime(window.starts_at)
    event.ends_at.FromDatetime(window.ends_at)
    return event


def finding_event(finding: Finding) -> registry_pb2.FindingChanged:
    return registry_pb2.FindingChanged(
        finding_id=str(finding.id),
        rule=finding.rule,
        status=finding.status.value,
        articles=list(finding.articles),
        penalty=finding.penalty or "",
        subject_type=finding.subject_type,
        subject_id=str(finding.subject_id) if finding.subject_id else "",
        detail=finding.detail,
        rectification_deadline=(
            finding.rectification_deadline.isoformat() if finding.rectification_deadline else ""
        ),
    )


def filing_event(
    filing: FilingRecord, system_ids: Sequence[uuid.UUID], materials: Iterable[str]
) -> registry_pb2.FilingChanged:
    """Which materials a filing has, never their content."""
    return registry_pb2.FilingChanged(
        filing_id=str(filing.id),
        status=filing.status.value,
        receipt_number=filing.receipt_number or "",
        missing_materials=list(filing.missing_materials or []),
        supplement_deadline=filing.supplement_deadline.isoformat() if filing.supplement_deadline else "",
        system_ids=[str(s) for s in system_ids],
        materials=sorted(set(materials)),
    )


def inspection_event(inspection: Inspection) -> registry_pb2.InspectionRecorded:
    return registry_pb2.InspectionRecorded(
        inspection_id=str(inspection.id),
        system_id=str(inspection.system_id),
        result=inspection.result.value,
        inspected_on=inspection.inspected_on.isoformat(),
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
    registry_pb2.MaintenanceWindowChanged: "maintenance_window_changed",
}
