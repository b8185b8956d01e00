"""Call-up of live video and playback: only the police, only with purpose, case number and
destination, only cameras that exist, are networked and are not in a forbidden place; every
call-up registered, granted or refused, and the grant handed out only once it is registered.
(HRB art. 9, 20(3), 20(4), 20(8); KMG art. 13, 21(2), 21(3).)"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from jifang.auth import POLICE_ROLES, Principal
from jifang.errors import FieldError, Forbidden, JifangError, LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import PolicyBook
from services.gateway.cameras import Camera, RegistryCameras
from services.gateway.grants import Grant, GrantSigner
from services.gateway.schemas import CallUpRequest
from services.gateway.writer import RegisterWriter

# A playback longer than this is refused (asks for an export, not a call-up).
MAX_PLAYBACK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Granted:
    grant: Grant
    use_seq: int


class CallUpRefused(JifangError):
    """A refused call-up, already in the register: answered as its refusal (403, 404, 422),
    with the number of the register's record of it (``use_seq``)."""

    def __init__(self, refusal: JifangError, use_seq: int) -> None:
        super().__init__(refusal.detail)
        self.refusal = refusal
        self.use_seq = use_seq
        self.status, self.slug, self.title = refusal.status, refusal.slug, refusal.title

    def extensions(self) -> dict[str, Any]:
        return {**self.refusal.extensions(), "use_seq": self.use_seq}

    def headers(self) -> dict[str, str]:
        return self.refusal.headers()


class CallUpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.callups = Counter(
            "gateway_callups_total",
            "Call-ups registered, by mode (live, playback), outcome (granted, refused) and bureau",
            ["mode", "outcome", "bureau"],
            registry=registry,
        )
        self.register_failures = Counter(
            "gateway_register_write_failures_total",
            "Call-ups answered 503 because the use register could not be written (no image handed out)",
            registry=registry,
        )


class CallUps:
    def __init__(
        self,
        cameras: RegistryCameras,
        signer: GrantSigner,
        book: PolicyBook,
        register: RegisterWriter,
        metrics: CallUpMetrics | None = None,
    ) -> None:
        self.cameras = cameras
        self.signer = signer
        self.register = register
        self.book = book
        self.metrics = metrics

    async def call_up(self, principal: Principal, req: CallUpRequest, client_ip: str | None) -> Granted:
        """The grant, once registered; :class:`CallUpRefused` once the refusal is registered."""
        try:
            granted = await self._call_up(principal, req, client_ip)
        except CallUpRefused:
            self._count(principal, req, "refused")
            raise
        self._count(principal, req, "granted")
        return granted

    def _count(self, principal: Principal, req: CallUpRequest, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.callups.labels(req.mode, outcome, principal.bureau or "none").inc()

    async def _call_up(self, principal: Principal, req: CallUpRequest, client_ip: str | None) -> Granted:
        camera_id = _uuid(req.camera_id)
        camera: Camera | None = None
        try:
            self._check_request(principal, req, camera_id)
            assert camera_id is not None
            camera = await self.cameras.get(camera_id)
            self._check_camera(camera, camera_id, req)
        except (Forbidden, NotFound, ValidationFailed, LegalRuleViolation) as refusal:
            refused_seq = await self._register(
                self._fields(principal, req, camera_id, camera, client_ip, refusal)
            )
            raise CallUpRefused(refusal, refused_seq) from refusal
        grant_id = uuid.uuid4()
        seq = await self._register(
            {**self._fields(principal, req, camera_id, camera, client_ip, None), "grant_id": grant_id}
        )
        assert camera_id is not None
        grant = self.signer.issue(
            camera_id, principal.subject, req.mode, req.range_from, req.range_to, grant_id
        )
        return Granted(grant, seq)

    async def _register(self, fields: dict[str, Any]) -> int:
        try:
            seq, _ = await self.register.append(fields)
        except Exception:
            # The caller gets 503 and no image; the operators' alert counts these.
            if self.metrics is not None:
                self.metrics.register_failures.inc()
            raise
        return seq

    @staticmethod
    def _check_request(principal: Principal, req: CallUpRequest, camera_id: uuid.UUID | None) -> None:
        if not principal.has(*POLICE_ROLES):
            # HRB art. 20(4), KMG art. 21(3): images go to the police only (a unit admin too is refused).
            raise Forbidden("Images are handed to the police only (HRB art. 20(4), KMG art. 21(3))")
        missing = [
            FieldError(name, "required", f"{label} is required for every call-up")
            for name, label in (
                ("purpose", "The purpose (用途)"),
                ("case_number", "A case or incident number"),
                ("destination", "The destination (去向)"),
            )
            if not (getattr(req, name) or "").strip()
        ]
        if req.camera_id is None:
            missing.insert(0, FieldError("camera_id", "required", "The camera is required"))
        elif camera_id is None:
            missing.insert(0, FieldError("camera_id", "uuid", "The camera id is not a UUID"))
        if missing:
            raise ValidationFailed(missing)

    def _check_camera(self, camera: Camera | None, camera_id: uuid.UUID, req: CallUpRequest) -> None:
        if camera is None or camera.kind != "camera":
            raise NotFound(f"No camera {camera_id}")
        if camera.unit_closed:
            raise ValidationFailed.single(
                "camera_id", "unit-active", "The camera's unit was closed (注销): it is no longer networked"
            )
        pack = self.book.get(camera.jurisdiction)
        if pack is not None and pack.is_forbidden_camera_place(camera.location_type):
            raise LegalRuleViolation(
                "The camera is in a place where cameras are forbidden: its images are not handed out",
                pack.cite(pack.forbidden_camera_places.article),
                "camera_id",
            )
        if not camera.reachable and camera.networking != "connected":
            raise ValidationFailed.single(
                "camera_id", "networked", "The camera is not networked with the police platform"
            )
        if req.mode == "playback":
            self._check_range(req, pack.retention.days if pack else 15)

    @staticmethod
    def _check_range(req: CallUpRequest, retention_days: int) -> None:
        now = dt.datetime.now(dt.UTC)
        if req.range_from is None or req.range_to is None:
            raise ValidationFailed.single(
                "range_from", "required", "A playback needs range_from and range_to"
            )
        start, end = req.range_from, req.range_to
        if start.tzinfo is None or end.tzinfo is None:
            raise ValidationFailed.single("range_from", "timezone", "Give times with their UTC offset")
        if end <= start:
            raise ValidationFailed.single("range_to", "after_start", "range_to must be after range_from")
        if end > now:
            raise ValidationFailed.single("range_to", "not_future", "A playback cannot reach into the future")
        if start < now - dt.timedelta(days=retention_days):
            raise ValidationFailed.single(
                "range_from",
                "inside_retention",
                f"A playback must lie inside the {retention_days}-day retention window (HRB art. 20(8))",
            )
        if end - start > MAX_PLAYBACK:
            raise ValidationFailed.single("range_to", "max_24h", "A playback call-up covers at most 24 hours")

    @staticmethod
    def _fields(
        principal: Principal,
        req: CallUpRequest,
        camera_id: uuid.UUID | None,
        camera: Camera | None,
        client_ip: str | None,
        refusal: JifangError | None,
    ) -> dict[str, Any]:
        role = next((r.value for r in sorted(principal.roles) if r in POLICE_ROLES), None) or ",".join(
            sorted(r.value for r in principal.roles)
        )
        return {
            "officer": principal.subject,
            "badge_number": principal.badge_number,
            "bureau": principal.bureau,
            "role": role[:30],
            "purpose": req.purpose,
            "case_number": req.case_number,
            "destination": req.destination,
            "camera_id": camera_id,
            "unit_id": camera.unit_id if camera else None,
            "mode": req.mode,
            "range_from": req.range_from,
            "range_to": req.range_to,
            "client_address": client_ip,
            "outcome": "refused" if refusal else "granted",
            "refusal_reason": refusal.detail if refusal else None,
            "grant_id": None,
        }


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
