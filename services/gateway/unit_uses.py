"""A unit's own register of the uses of its footage, kept on the platform (HRB art. 20(3):
"建立值班监看、资料管理、图像信息使用登记等制度"; KMG art. 21(2): "建立语音图像信息使用登记制度，
对语音图像信息的录制时间、录制人员、用途和去向等事项进行登记，并妥善保管"), in the same
tamper-evident form as the police's use register: append-only, one hash chain per unit.

**Who**: a `unit_admin` registers and reads the uses of its own unit's footage only; another
unit's register is 404, as the registry and retention answer for another unit (its existence is
not disclosed). The tech office (`tech_office`), which checks the register at its inspections,
and the `auditor` read and verify any unit's. The police's operators do not need it.

A destination (去向) is recorded as the unit states it. Images go to no one but the police save
as law provides (HRB art. 20(4), KMG art. 21(3)); whether a stated destination was lawful is for
a person to judge, and the platform draws no verdict from it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import DependencyUnavailable, FieldError, NotFound, ValidationFailed
from jifang.registry_client import RegistryClient, RegistryRefused, RegistryUnavailable
from services.gateway.cameras import RegistryCameras
from services.gateway.chain import ChainReport
from services.gateway.schemas import FootageUsePage, FootageUseRead, FootageUseRequest
from services.gateway.unit_register import UnitUseRegister


class UnitUses:
    def __init__(self, cameras: RegistryCameras, registry: RegistryClient) -> None:
        self.cameras = cameras
        self.registry = registry

    async def register(
        self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID, req: FootageUseRequest
    ) -> FootageUseRead:
        """Append one use to the unit's chain; its record as written (number, time, hash)."""
        if principal.unit_id != unit_id:
            raise NotFound("No unit with this id: a unit administrator registers its own unit's uses")
        _check_period(req.footage_from, req.footage_to)
        await self._check_cameras(unit_id, req.camera_ids)
        record = await UnitUseRegister(session).append(
            {
                "unit_id": unit_id,
                "registered_by": principal.subject,
                "footage_from": req.footage_from,
                "footage_to": req.footage_to,
                "camera_ids": req.camera_ids,
                "personnel": req.personnel,
                "purpose": req.purpose,
                "destination": req.destination,
            }
        )
        return FootageUseRead.model_validate(record)

    async def page(
        self,
        session: AsyncSession,
        principal: Principal,
        unit_id: uuid.UUID,
        since: dt.datetime | None,
        until: dt.datetime | None,
        limit: int,
        offset: int,
    ) -> FootageUsePage:
        await self._readable(session, principal, unit_id)
        rows, total = await UnitUseRegister(session).search(unit_id, since, until, limit, offset)
        items = [FootageUseRead.model_validate(r) for r in rows]
        return FootageUsePage(items=items, total=total, limit=limit, offset=offset)

    async def verify(self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> ChainReport:
        await self._readable(session, principal, unit_id)
        return await UnitUseRegister(session).verify(unit_id)

    async def _readable(self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> None:
        """The caller may read this unit's register, and the unit exists: a register with records
        does; an empty one is answered for a unit the registry has (its register is empty)."""
        if principal.is_unit_scoped and principal.unit_id != unit_id:
            raise NotFound("No unit with this id")
        if await UnitUseRegister(session).has_records(unit_id):
            return
        try:
            exists = await self.registry.unit_exists(unit_id)
        except (RegistryUnavailable, RegistryRefused) as exc:
            raise DependencyUnavailable("The registry is unreachable: the unit cannot be checked") from exc
        if not exists:
            raise NotFound("No unit with this id")

    async def _check_cameras(self, unit_id: uuid.UUID, camera_ids: list[uuid.UUID]) -> None:
        """Every camera named is one of this unit's (a camera of another unit is answered as one
        that does not exist: neither is this unit's)."""
        cameras = await asyncio.gather(*(self.cameras.get(camera_id) for camera_id in camera_ids))
        wrong = [
            FieldError(f"camera_ids.{i}", "camera-of-unit", f"{camera_id} is not a camera of this unit")
            for i, (camera_id, camera) in enumerate(zip(camera_ids, cameras, strict=True))
            if camera is None or camera.kind != "camera" or camera.unit_id != unit_id
        ]
        if wrong:
            raise ValidationFailed(wrong)


def _check_period(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise ValidationFailed.single("footage_to", "after_start", "footage_to must be after footage_from")
    if end > dt.datetime.now(dt.UTC):
        raise ValidationFailed.single("footage_to", "not_future", "Footage cannot be from the future")
