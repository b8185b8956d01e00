"""NVRs register themselves with a one-time enrollment token, then send heartbeats."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, NotFound, ValidationFailed
from jifang.policy import FindingRule, PolicyBook
from jifang.secrets import CredentialCipher
from jifang.v1 import registry_pb2
from services.registry.devices.repository import DeviceRepository
from services.registry.devices.service import device_event, refuse_forbidden_place
from services.registry.events import publish
from services.registry.models import (
    Device,
    DeviceKind,
    DeviceReplacement,
    DeviceStatus,
    EnrollmentToken,
    Unit,
)
from services.registry.nvr.schemas import (
    EnrollmentTokenIssued,
    Heartbeat,
    HeartbeatAck,
    NvrRegistered,
    NvrRegistration,
)
from services.registry.units.repository import UnitRepository
from services.registry.units.service import UnitService


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _connectivity(device: Device) -> registry_pb2.DeviceConnectivityChanged:
    ev = registry_pb2.DeviceConnectivityChanged(device_id=str(device.id), status=device.status.value)
    if device.status_since:
        ev.since.FromDatetime(device.status_since)
    if device.last_heartbeat_at:
        ev.last_heartbeat_at.FromDatetime(device.last_heartbeat_at)
    return ev


async def mark_offline(session: AsyncSession, book: PolicyBook, device: Device, now: datetime) -> None:
    unit = await UnitRepository(session).get(device.unit_id)
    assert unit is not None
    device.status = DeviceStatus.OFFLINE
    device.status_since = now
    await session.flush()
    publish(session, unit_id=unit.id, jurisdiction=unit.jurisdiction, body=_connectivity(device))


class NvrService:
    def __init__(
        self, session: AsyncSession, book: PolicyBook, cipher: CredentialCipher, token_ttl_s: int
    ) -> None:
        self.session = session
        self.book = book
        self.cipher = cipher
        self.token_ttl_s = token_ttl_s
        self.devices = DeviceRepository(session)

    async def issue_token(
        self, principal: Principal, unit_id: uuid.UUID, label: str | None, ttl_s: int | None
    ) -> EnrollmentTokenIssued:
        unit = await UnitService(self.session, self.book).get(principal, unit_id)
        token = secrets.token_urlsafe(32)
        row = EnrollmentToken(
            id=uuid.uuid4(),
            unit_id=unit.id,
            token_hash=token_hash(token),
            label=label,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s or self.token_ttl_s),
            created_by=principal.subject,
        )
        self.session.add(row)
        await self.session.flush()
        return EnrollmentTokenIssued(id=row.id, unit_id=unit.id, token=token, expires_at=row.expires_at)

    async def _redeem(self, principal: Principal, token: str, now: datetime) -> EnrollmentToken:
        row = (
            await self.session.scalars(
                select(EnrollmentToken)
                .where(EnrollmentToken.token_hash == token_hash(token))
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise ValidationFailed.single(
                "enrollment_token", "valid-enrollment-token", "unknown enrollment token"
            )
        if row.used_at is not None and row.used_by_subject != principal.subject:
            raise Conflict("This enrollment token was already used by another device")
        if row.used_at is None and row.expires_at < now:
            raise ValidationFailed.single("enrollment_token", "unexpired", "the enrollment token has expired")
        return row

    async def register(self, principal: Principal, data: NvrRegistration) -> NvrRegistered:
        now = datetime.now(UTC)
        token = await self._redeem(principal, data.enrollment_token, now)
        unit = await UnitRepository(self.session).get(token.unit_id, for_update=True)
        if unit is None:
            raise NotFound("The unit of this enrollment token no longer exists")
        pack = self.book[unit.jurisdiction]
        for ch in data.channels:
            refuse_forbidden_place(pack, DeviceKind.CAMERA, ch.location_type)
        if len({c.channel_no for c in data.channels}) != len(data.channels):
            raise ValidationFailed.single("channels", "unique-channel-no", "channel numbers must be unique")
        interval = data.heartbeat_interval_s or int(pack.default("nvr_heartbeat_interval_s"))

        nvr = await self.devices.by_subject(principal.subject)
        if nvr is not None and nvr.unit_id != unit.id:
            raise Conflict("This device is registered with another unit")
        replaced_articles: list[str] = []
        if nvr is None:
            nvr = Device(
                id=uuid.uuid4(),
                unit_id=unit.id,
                district=unit.district,
                kind=DeviceKind.NVR,
                status=DeviceStatus.ONLINE,
                status_since=now,
                enrolled_subject=principal.subject,
            )
            self.session.add(nvr)
        elif nvr.serial_number and nvr.serial_number != data.serial_number:
            basis = pack.findings.get(FindingRule.PURPOSE_POSITION_CHANGED)
            replaced_articles = [pack.cite(a) for a in basis.articles] if basis else []
            self.session.add(
                DeviceReplacement(
                    device_id=nvr.id,
                    unit_id=unit.id,
                    old_serial_number=nvr.serial_number,
                    new_serial_number=data.serial_number,
                    articles=replaced_articles,
                )
            )
            publish(
                self.session,
                unit_id=unit.id,
                jurisdiction=unit.jurisdiction,
                body=registry_pb2.DeviceReplaced(
                    device_id=str(nvr.id),
                    old_serial_number=nvr.serial_number,
                    new_serial_number=data.serial_number,
                    articles=replaced_articles,
                ),
            )
        nvr.name = data.name
        nvr.serial_number = data.serial_number
        nvr.manufacturer = data.manufacturer
        nvr.model = data.model
        nvr.onvif_address = str(data.onvif_address) if data.onvif_address else None
        nvr.location_type = data.location_type
        nvr.heartbeat_interval_s = interval
        nvr.last_heartbeat_at = now
        nvr.updated_at = now
        await self.session.flush()
        channel_ids = await self._sync_channels(unit, nvr, data, now)
        if token.used_at is None:
            token.used_at, token.used_by_subject, token.device_id = now, principal.subject, nvr.id
        await self.session.flush()
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=device_event(nvr, unit.district),
        )
        return NvrRegistered(
            device_id=nvr.id,
            unit_id=unit.id,
            channel_ids=channel_ids,
            heartbeat_interval_s=interval,
            replaced=bool(replaced_articles),
            replacement_articles=replaced_articles,
        )

    async def _sync_channels(
        self, unit: Unit, nvr: Device, data: NvrRegistration, now: datetime
    ) -> dict[int, uuid.UUID]:
        existing = {c.channel_no: c for c in await self.devices.channels(nvr.id)}
        out: dict[int, uuid.UUID] = {}
        for ch in data.channels:
            cam = existing.get(ch.channel_no)
            if cam is None:
                cam = Device(
                    id=uuid.uuid4(),
                    unit_id=unit.id,
                    district=unit.district,
                    kind=DeviceKind.CAMERA,
                    parent_id=nvr.id,
                    channel_no=ch.channel_no,
                    status=DeviceStatus.UNKNOWN,
                )
                self.session.add(cam)
            before = (cam.name, cam.location_type, cam.onvif_address, cam.serial_number)
            cam.name = ch.name
            cam.location_type = ch.location_type
            cam.onvif_address = str(ch.onvif_address) if ch.onvif_address else None
            cam.serial_number = ch.serial_number
            cam.position_description = ch.position_description
            if before != (cam.name, cam.location_type, cam.onvif_address, cam.serial_number):
                cam.updated_at = now
                await self.session.flush()
                publish(
                    self.session,
                    unit_id=unit.id,
                    jurisdiction=unit.jurisdiction,
                    body=device_event(cam, unit.district),
                )
            out[ch.channel_no] = cam.id
        return out

    async def heartbeat(self, principal: Principal, data: Heartbeat) -> HeartbeatAck:
        nvr = await self.devices.by_subject(principal.subject)
        if nvr is None:
            raise NotFound("This device has not registered yet")
        now = datetime.now(UTC)
        if data.serial_number and nvr.serial_number and data.serial_number != nvr.serial_number:
            raise Conflict("The serial number changed: register again so the replacement is recorded")
        nvr.last_heartbeat_at = now
        if nvr.status != DeviceStatus.ONLINE:
            nvr.status = DeviceStatus.ONLINE
            nvr.status_since = now
            unit = await UnitRepository(self.session).get(nvr.unit_id)
            assert unit is not None
            await self.session.flush()
            publish(
                self.session,
                unit_id=unit.id,
                jurisdiction=unit.jurisdiction,
                body=_connectivity(nvr),
            )
        await self.session.flush()
        return HeartbeatAck(
            device_id=nvr.id, status=nvr.status, next_heartbeat_in_s=nvr.heartbeat_interval_s or 60
        )
