"""NVRs register themselves with a one-time enrollment token, then send heartbeats.

A recorder is known by its own credential: the subject of its `nvr` token, bound to its device
row at its first registration (``enrolled_subject``). The enrollment token only introduces it
once: it expires with that first use, and the recorder registers again (channels changed,
hardware replaced) with its own credential and no token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import Conflict, NotFound, ValidationFailed
from jifang.policy import PolicyBook
from jifang.secrets import CredentialCipher
from services.registry.access import visible_unit
from services.registry.change import UnitChange
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.devices.service import refuse_forbidden_place
from services.registry.events import connectivity_event, device_event, device_replaced_event, publish
from services.registry.findings import outages
from services.registry.models import (
    Device,
    DeviceKind,
    DeviceReplacement,
    DeviceStatus,
    EnrollmentToken,
    Unit,
)
from services.registry.nvr.repository import EnrollmentTokenRepository
from services.registry.nvr.schemas import (
    EnrollmentTokenIssued,
    Heartbeat,
    HeartbeatAck,
    NvrRegistered,
    NvrRegistration,
)
from services.registry.units.repository import UnitRepository

# The rate limit on refused enrollment tokens, per client address.
ENROLLMENT_ATTEMPTS = "enrollment_attempts"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def mark_offline(session: AsyncSession, book: PolicyBook, device: Device, now: datetime) -> None:
    """Missed heartbeats: offline, and silent since its last heartbeat (a suspected
    interruption unless maintenance was declared for it)."""
    unit = await UnitRepository(session).get(device.unit_id)
    assert unit is not None
    device.status = DeviceStatus.OFFLINE
    device.status_since = now
    await session.flush()
    publish(session, unit, connectivity_event(device))
    since = device.last_heartbeat_at or now
    await outages.went_offline(session, book, unit, device, since, "heartbeats missed", now)


class NvrService:
    def __init__(
        self, session: AsyncSession, book: PolicyBook, cipher: CredentialCipher, token_ttl_s: int
    ) -> None:
        self.session = session
        self.book = book
        self.cipher = cipher
        self.token_ttl_s = token_ttl_s
        self.devices = DeviceRepository(session)
        self.tokens = EnrollmentTokenRepository(session)

    async def issue_token(
        self, principal: Principal, unit_id: uuid.UUID, label: str | None, ttl_s: int | None
    ) -> EnrollmentTokenIssued:
        unit = await visible_unit(self.session, principal, unit_id)
        token = secrets.token_urlsafe(32)
        row = EnrollmentToken(
            id=uuid.uuid4(),
            unit_id=unit.id,
            token_hash=token_hash(token),
            label=label,
            expires_at=utc_now() + timedelta(seconds=ttl_s or self.token_ttl_s),
            created_by=principal.subject,
        )
        await self.tokens.add(row)
        return EnrollmentTokenIssued(id=row.id, unit_id=unit.id, token=token, expires_at=row.expires_at)

    async def _redeem(self, token: str, now: datetime) -> EnrollmentToken:
        """A token works once: after its first use it has expired, for every device, the one
        that used it included (which registers again with its own credential)."""
        row = await self.tokens.by_hash(token_hash(token))
        if row is None:
            raise ValidationFailed.single(
                "enrollment_token", "valid-enrollment-token", "unknown enrollment token"
            )
        if row.used_at is not None:
            raise ValidationFailed.single(
                "enrollment_token",
                "single-use",
                "this enrollment token has been used and has expired; a registered recorder "
                "registers again with its own credential, without a token",
            )
        if row.expires_at < now:
            raise ValidationFailed.single("enrollment_token", "unexpired", "the enrollment token has expired")
        return row

    async def _unit_of(
        self, data: NvrRegistration, known: Device | None, now: datetime
    ) -> tuple[uuid.UUID, EnrollmentToken | None]:
        """The unit a registration is for: the token's on a first registration, the device's own
        on a registration again (the device's credential, its token's subject, vouches for it)."""
        if data.enrollment_token is not None:
            token = await self._redeem(data.enrollment_token, now)
            if known is not None and known.unit_id != token.unit_id:
                raise Conflict("This device is registered with another unit")
            return token.unit_id, token
        if known is None:
            raise ValidationFailed.single(
                "enrollment_token",
                "enrollment-token-required",
                "a recorder registering for the first time presents its enrollment token",
            )
        return known.unit_id, None

    async def register(self, principal: Principal, data: NvrRegistration) -> NvrRegistered:
        now = utc_now()
        known = await self.devices.by_subject(principal.subject)
        unit_id, token = await self._unit_of(data, known, now)
        # The token (or the device's own credential) vouches for the unit; a registration
        # changes no finding (a camera in a forbidden place is refused).
        async with UnitChange(self.session, self.book, principal, unit_id, recompute=False) as change:
            unit, pack = change.unit, change.pack
            for ch in data.channels:
                refuse_forbidden_place(pack, DeviceKind.CAMERA, ch.location_type)
            if len({c.channel_no for c in data.channels}) != len(data.channels):
                raise ValidationFailed.single(
                    "channels", "unique-channel-no", "channel numbers must be unique"
                )
            interval = data.heartbeat_interval_s or int(pack.default("nvr_heartbeat_interval_s"))
            nvr, replacement = await self._nvr(principal, change, known, data, interval, now)
            channel_ids = await self._sync_channels(change, nvr, data, now)
            if token is not None:  # spent: it expires with its first use
                token.used_at, token.used_by_subject, token.device_id = now, principal.subject, nvr.id
                token.expires_at = min(token.expires_at, now)
            change.publish(device_event(nvr, unit.district))
        return NvrRegistered(
            device_id=nvr.id,
            unit_id=unit.id,
            channel_ids=channel_ids,
            heartbeat_interval_s=interval,
            replaced=replacement is not None,
            replacement_articles=list(replacement.articles) if replacement else [],
        )

    async def _nvr(
        self,
        principal: Principal,
        change: UnitChange,
        nvr: Device | None,
        data: NvrRegistration,
        interval: int,
        now: datetime,
    ) -> tuple[Device, DeviceReplacement | None]:
        """The NVR's row as it declares itself (new on its first registration), and the
        replacement recorded if its serial number changed."""
        unit = change.unit
        replacement: DeviceReplacement | None = None
        if nvr is not None and nvr.serial_number and nvr.serial_number != data.serial_number:
            replacement = DeviceReplacement(
                device_id=nvr.id,
                unit_id=unit.id,
                old_serial_number=nvr.serial_number,
                new_serial_number=data.serial_number,
                # Maintenance (KMG art. 20(2) asks for prompt repair), recorded but not a breach
                # of HRB art. 20(6) / KMG art. 21(4): it cites nothing.
                articles=[],
            )
            await self.devices.add_replacement(replacement)
            change.publish(device_replaced_event(replacement))
        is_new = nvr is None
        if nvr is None:
            nvr = _new_device(
                unit,
                DeviceKind.NVR,
                status=DeviceStatus.ONLINE,
                status_since=now,
                enrolled_subject=principal.subject,
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
        if is_new:
            await self.devices.add(nvr)
        return nvr, replacement

    async def _sync_channels(
        self, change: UnitChange, nvr: Device, data: NvrRegistration, now: datetime
    ) -> dict[int, uuid.UUID]:
        unit = change.unit
        existing = {c.channel_no: c for c in await self.devices.channels(nvr.id)}
        out: dict[int, uuid.UUID] = {}
        for ch in data.channels:
            cam = existing.get(ch.channel_no) or _new_device(
                unit,
                DeviceKind.CAMERA,
                parent_id=nvr.id,
                channel_no=ch.channel_no,
                status=DeviceStatus.UNKNOWN,
            )
            before = (cam.name, cam.location_type, cam.onvif_address, cam.serial_number)
            cam.name = ch.name
            cam.location_type = ch.location_type
            cam.onvif_address = str(ch.onvif_address) if ch.onvif_address else None
            cam.serial_number = ch.serial_number
            cam.position_description = ch.position_description
            if ch.channel_no not in existing:
                await self.devices.add(cam)
            if before != (cam.name, cam.location_type, cam.onvif_address, cam.serial_number):
                cam.updated_at = now
                change.publish(device_event(cam, unit.district))
            out[ch.channel_no] = cam.id
        return out

    async def heartbeat(self, principal: Principal, data: Heartbeat) -> HeartbeatAck:
        nvr = await self.devices.by_subject(principal.subject)
        if nvr is None:
            raise NotFound("This device has not registered yet")
        now = utc_now()
        if data.serial_number and nvr.serial_number and data.serial_number != nvr.serial_number:
            raise Conflict("The serial number changed: register again so the replacement is recorded")
        silent_since = nvr.last_heartbeat_at
        nvr.last_heartbeat_at = now
        if nvr.status != DeviceStatus.ONLINE:
            was_offline = nvr.status == DeviceStatus.OFFLINE
            nvr.status = DeviceStatus.ONLINE
            nvr.status_since = now
            unit = await UnitRepository(self.session).get(nvr.unit_id)
            assert unit is not None
            await self.session.flush()
            publish(self.session, unit, connectivity_event(nvr))
            if was_offline and silent_since is not None:
                await outages.came_back(self.session, self.book, unit, nvr, silent_since, now, now)
        await self.session.flush()
        return HeartbeatAck(
            device_id=nvr.id, status=nvr.status, next_heartbeat_in_s=nvr.heartbeat_interval_s or 60
        )


def _new_device(unit: Unit, kind: DeviceKind, **fields: Any) -> Device:
    return Device(id=uuid.uuid4(), unit_id=unit.id, district=unit.district, kind=kind, **fields)
