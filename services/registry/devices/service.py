"""Devices: NVRs and cameras. Credentials are encrypted at rest and never returned."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import LocationType, PolicyBook, PolicyPack
from jifang.secrets import CredentialCipher
from jifang.v1 import registry_pb2
from services.registry.access import scoped_unit_filter
from services.registry.devices.repository import DEVICE_SORTS, DeviceRepository
from services.registry.devices.schemas import (
    CredentialsBatch,
    DeviceCreate,
    DeviceCredentials,
    DeviceRead,
    DeviceUpdate,
)
from services.registry.events import publish
from services.registry.findings.service import FindingService
from services.registry.models import Device, DeviceKind, DeviceStatus, Unit
from services.registry.places.repository import PlaceRepository
from services.registry.systems.repository import SystemRepository
from services.registry.units.service import UnitService


def to_read(device: Device) -> DeviceRead:
    data = {k: getattr(device, k) for k in DeviceRead.model_fields if k != "has_credentials"}
    return DeviceRead.model_validate({**data, "has_credentials": device.password_ciphertext is not None})


def device_event(device: Device | SimpleNamespace, district: str) -> registry_pb2.DeviceChanged:
    """The event of a device row, mapped or not (bulk import builds plain rows)."""
    return registry_pb2.DeviceChanged(
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
    )


def refuse_forbidden_place(pack: PolicyPack, kind: DeviceKind, location: LocationType) -> None:
    """HRB art. 19 / KMG art. 7: no camera in a private place the pack lists."""
    if kind == DeviceKind.CAMERA and pack.is_forbidden_camera_place(location):
        raise LegalRuleViolation(
            f"{pack.city} forbids cameras in a {location.value}",
            pack.cite(pack.forbidden_camera_places.article),
            "location_type",
        )


class DeviceService:
    def __init__(self, session: AsyncSession, book: PolicyBook, cipher: CredentialCipher) -> None:
        self.session = session
        self.book = book
        self.cipher = cipher
        self.devices = DeviceRepository(session)
        self.units = UnitService(session, book)

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

    async def create(self, principal: Principal, unit_id: uuid.UUID, data: DeviceCreate) -> Device:
        unit = await self.units.get(principal, unit_id, for_update=True)
        pack = self.book[unit.jurisdiction]
        refuse_forbidden_place(pack, data.kind, data.location_type)
        fields = data.model_dump(exclude={"password"})
        await self._check_links(unit, fields, data.kind)
        device = self.build(unit, data)
        await self.devices.add(device)
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=device_event(device, unit.district),
        )
        await FindingService(self.session, self.book).recompute_unit(unit)
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

    async def get(
        self, principal: Principal, device_id: uuid.UUID, *, lock: bool = False
    ) -> tuple[Device, Unit]:
        device = await self.devices.get(device_id, for_update=lock)
        if device is None or (principal.is_unit_scoped and principal.unit_id != device.unit_id):
            raise NotFound("No device with this id")
        unit = await self.units.get(principal, device.unit_id)
        return device, unit

    async def update(self, principal: Principal, device_id: uuid.UUID, data: DeviceUpdate) -> Device:
        device, unit = await self.get(principal, device_id)
        await self.units.get(principal, unit.id, for_update=True)
        pack = self.book[unit.jurisdiction]
        changes = data.model_dump(exclude_unset=True)
        refuse_forbidden_place(pack, device.kind, changes.get("location_type", device.location_type))
        await self._check_links(unit, changes, device.kind)
        if "password" in changes:
            secret = data.password
            device.password_ciphertext = self.seal(device.id, secret.get_secret_value()) if secret else None
            changes.pop("password")
        if "onvif_address" in changes:
            changes["onvif_address"] = str(changes["onvif_address"]) if changes["onvif_address"] else None
        for key, value in changes.items():
            setattr(device, key, value)
        device.updated_at = datetime.now(UTC)
        await self.session.flush()
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=device_event(device, unit.district),
        )
        await FindingService(self.session, self.book).recompute_unit(unit)
        return device

    async def delete(self, principal: Principal, device_id: uuid.UUID) -> None:
        device, unit = await self.get(principal, device_id)
        await self.units.get(principal, unit.id, for_update=True)
        await self.devices.delete(device)
        publish(
            self.session,
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            body=registry_pb2.DeviceRemoved(device_id=str(device.id)),
        )
        await FindingService(self.session, self.book).recompute_unit(unit)

    async def list(
        self,
        principal: Principal,
        *,
        unit_id: uuid.UUID | None,
        district: str | None,
        kind: DeviceKind | None,
        status: DeviceStatus | None,
        q: str | None,
        sort: str,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Device], int, bool]:
        if sort.lstrip("-") not in DEVICE_SORTS:
            raise ValidationFailed.single(
                "sort", "allowed-sort", f"sort by one of {sorted(DEVICE_SORTS)}, '-' for descending"
            )
        scope = scoped_unit_filter(principal)
        if scope is not None:
            if unit_id is not None and unit_id != scope:
                return [], 0, False
            unit_id = scope
        return await self.devices.search(
            filters={
                "unit_id": unit_id,
                "district": district,
                "kind": kind,
                "status": status,
                "q": q,
            },
            sort=sort,
            limit=limit,
            offset=offset,
        )

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
