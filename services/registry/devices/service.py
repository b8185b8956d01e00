"""Devices: NVRs and cameras. Credentials are encrypted at rest and never returned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import LocationType, PolicyBook, PolicyPack
from jifang.secrets import CredentialCipher
from services.registry.access import scoped_unit_filter, visible
from services.registry.change import UnitChange
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.devices.schemas import (
    CredentialsBatch,
    DeviceCreate,
    DeviceCredentials,
    DeviceQuery,
    DeviceRead,
    DeviceUpdate,
)
from services.registry.events import device_event, device_removed_event
from services.registry.models import Device, DeviceKind, DeviceStatus, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.systems.repository import SystemRepository


def to_read(device: Device) -> DeviceRead:
    data = {k: getattr(device, k) for k in DeviceRead.model_fields if k != "has_credentials"}
    return DeviceRead.model_validate({**data, "has_credentials": device.password_ciphertext is not None})


def refuse_forbidden_place(pack: PolicyPack, kind: DeviceKind, location: LocationType) -> None:
    """HRB art. 19 / KMG art. 7: no camera in a private place the pack lists."""
    if kind == DeviceKind.CAMERA and pack.is_forbidden_camera_place(location):
        raise LegalRuleViolation(
            f"{pack.city} forbids cameras in a {location.value}: {pack.forbidden_reason(location)}",
            pack.cite(pack.forbidden_camera_places.article),
            "location_type",
        )


class DeviceService:
    def __init__(self, session: AsyncSession, book: PolicyBook, cipher: CredentialCipher) -> None:
        self.session = session
        self.book = book
        self.cipher = cipher
        self.devices = DeviceRepository(session)

    def seal(self, device_id: uuid.UUID, password: str) -> bytes:
        # The device id is bound as associated data: a ciphertext copied to another row fails.
        return self.cipher.encrypt(password, associated=device_id.bytes)

    async def _check_links(self, unit: Unit, data: dict[str, Any], kind: DeviceKind) -> None:
        if data.get("place_id") is not None and not await PlaceRepository(self.session).many(
            unit.id, [data["place_id"]]
        ):
            raise ValidationFailed.single("place_id", "place-of-this-unit", "unknown place for this unit")
        if data.get("system_id") is not None and not await SystemRepository(self.session).many(
            unit.id, [data["system_id"]]
        ):
            raise ValidationFailed.single("system_id", "system-of-this-unit", "unknown system for this unit")
        if data.get("parent_id") is not None:
            parent = await self.devices.get(data["parent_id"])
            if parent is None or parent.unit_id != unit.id or parent.kind != DeviceKind.NVR:
                raise ValidationFailed.single(
                    "parent_id", "nvr-of-this-unit", "parent must be an NVR of this unit"
                )
            if kind != DeviceKind.CAMERA:
                raise ValidationFailed.single(
                    "parent_id", "camera-only", "only a camera channel has a parent NVR"
                )
        if data.get("ptz_preset") is not None and kind != DeviceKind.CAMERA:
            raise ValidationFailed.single("ptz_preset", "camera-only", "only a camera rests at a PTZ preset")

    async def create(self, principal: Principal, unit_id: uuid.UUID, data: DeviceCreate) -> Device:
        async with UnitChange(self.session, self.book, principal, unit_id) as change:
            unit = change.unit
            refuse_forbidden_place(change.pack, data.kind, data.location_type)
            await self._check_links(unit, data.model_dump(exclude={"password"}), data.kind)
            device = self.build(unit, data)
            await self.devices.add(device)
            change.publish(device_event(device, unit.district))
        return device

    def row(self, unit: Unit, data: DeviceCreate) -> dict[str, Any]:
        """A new device's column values (no I/O): bulk import inserts these directly."""
        device_id = uuid.uuid4()
        row = data.model_dump(exclude={"password", "onvif_address"})
        row.update(
            id=device_id,
            unit_id=unit.id,
            district=unit.district,
            onvif_address=str(data.onvif_address) if data.onvif_address else None,
            password_ciphertext=self.seal(device_id, data.password.get_secret_value())
            if data.password
            else None,
            status=DeviceStatus.UNKNOWN,
        )
        return row

    def build(self, unit: Unit, data: DeviceCreate) -> Device:
        return Device(**self.row(unit, data))

    async def get(self, principal: Principal, device_id: uuid.UUID) -> Device:
        return visible(principal, await self.devices.get(device_id), "device")

    async def update(self, principal: Principal, device_id: uuid.UUID, data: DeviceUpdate) -> Device:
        device = await self.get(principal, device_id)
        async with UnitChange(self.session, self.book, principal, device.unit_id) as change:
            unit = change.unit
            changes = data.model_dump(exclude_unset=True)
            refuse_forbidden_place(
                change.pack, device.kind, changes.get("location_type", device.location_type)
            )
            await self._check_links(unit, changes, device.kind)
            if "password" in changes:
                secret = data.password
                device.password_ciphertext = (
                    self.seal(device.id, secret.get_secret_value()) if secret else None
                )
                changes.pop("password")
            if "onvif_address" in changes:
                changes["onvif_address"] = str(changes["onvif_address"]) if changes["onvif_address"] else None
            for key, value in changes.items():
                setattr(device, key, value)
            device.updated_at = utc_now()
            change.publish(device_event(device, unit.district))
        return device

    async def delete(self, principal: Principal, device_id: uuid.UUID) -> None:
        device = await self.get(principal, device_id)
        async with UnitChange(self.session, self.book, principal, device.unit_id) as change:
            await self.devices.delete(device)
            change.publish(device_removed_event(device))

    async def list(self, principal: Principal, query: DeviceQuery) -> tuple[Sequence[Device], int, bool]:
        return await self.devices.search(query, only_unit=scoped_unit_filter(principal))

    async def credentials(self, device_id: uuid.UUID) -> DeviceCredentials:
        device = await self.devices.get(device_id)
        if device is None:
            raise NotFound("No device with this id")
        return self._credentials(device)

    async def credentials_batch(self, device_ids: Sequence[uuid.UUID]) -> CredentialsBatch:
        """Many devices in one call: ingest fetches a fleet's credentials in a few requests."""
        devices = await self.devices.get_many(device_ids)
        found = {d.id for d in devices}
        return CredentialsBatch(
            items=[self._credentials(d) for d in devices],
            missing=[i for i in dict.fromkeys(device_ids) if i not in found],
        )

    def _credentials(self, device: Device) -> DeviceCredentials:
        password = (
            self.cipher.decrypt(device.password_ciphertext, associated=device.id.bytes)
            if device.password_ciphertext
            else None
        )
        return DeviceCredentials(
            device_id=device.id,
            onvif_address=device.onvif_address,
            username=device.username,
            password=password,
        )
