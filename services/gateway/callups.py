"""Call-up of live video and playback: only the police, only with purpose, case number and
destination, only cameras that exist, are networked and are not in a forbidden place, of the
officer's own jurisdiction unless a supervisor calls them up; every call-up registered, granted
or refused, and the grant handed out only once it is registered.
(HRB art. 9, 20(3), 20(4), 20(8); KMG art. 13, 21(2), 21(3).) A refusal cites the articles of
the camera's own city. A playback is bounded by what the recorder holds, nothing else in the law
(ruling 4): refused when retention's latest reading shows no footage in the range; the hours
one grant covers are a platform default."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter

from jifang.auth import POLICE_ROLES, Principal, Role
from jifang.errors import FieldError, Forbidden, JifangError, LegalRuleViolation, NotFound, ValidationFailed
from jifang.policy import PolicyBook
from jifang.retention_client import RetentionClient, RetentionUnavailable
from jifang.text import shows_nothing
from services.gateway.cameras import Camera, RegistryCameras
from services.gateway.grants import Grant, GrantSigner
from services.gateway.schemas import CallUpRequest
from services.gateway.writer import RegisterWriter


@dataclass(frozen=True)
class Granted:
    grant: Grant
    use_seq: int
    # Playback: "held" (retention's latest reading shows footage in the range, or the range
    # ends after it) or "cannot_verify" (no reading, or retention cannot be asked); live: None.
    footage: str | None = None


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
        *,
        footage: RetentionClient | None = None,
        playback_max: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self.cameras = cameras
        self.signer = signer
        self.register = register
        self.book = book
        self.metrics = metrics
        self.footage = footage
        self.playback_max = playback_max

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
        footage: str | None = None
        try:
            if not principal.has(*POLICE_ROLES):
                raise Forbidden(f"Images are handed to the police only{await self._police_only(camera_id)}")
            self._check_request(req, camera_id)
            assert camera_id is not None
            camera = _existing(await self.cameras.get(camera_id), camera_id)
            _check_jurisdiction(principal, camera)
            self._check_camera(camera, camera_id, req)
            if req.mode == "playback":
                footage = await self._check_footage(camera_id, req)
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
            camera_id,
            principal.subject,
            req.mode,
            req.range_from,
            req.range_to,
            grant_id,
            client_address=client_ip,
            binding=req.binding,
        )
        return Granted(grant, seq, footage)

    async def _check_footage(self, camera_id: uuid.UUID, req: CallUpRequest) -> str:
        """Refused only when the recorder held no footage in the range at retention's latest
        reading; when that cannot be known the call-up goes ahead, said "cannot_verify"."""
        assert req.range_from is not None and req.range_to is not None
        if self.footage is None:
            return "cannot_verify"
        try:
            seen = await self.footage.camera_footage(camera_id, req.range_from, req.range_to)
        except RetentionUnavailable:
            return "cannot_verify"
        if seen is None:
            return "cannot_verify"
        if not seen.holds_footage:
            held = (
                f"from {seen.earliest.isoformat()} to {seen.latest.isoformat()}"
                if seen.earliest and seen.latest
                else "none"
            )
            raise ValidationFailed.single(
                "range_from",
                "footage-held",
                f"The recorder held no footage in this range when its index was last read "
                f"({seen.checked_at.isoformat()}; footage held: {held})",
            )
        return "held"

    async def _register(self, fields: dict[str, Any]) -> int:
        try:
            seq, _ = await self.register.append(fields)
        except Exception:
            # The caller gets 503 and no image; the operators' alert counts these.
            if self.metrics is not None:
                self.metrics.register_failures.inc()
            raise
        return seq

    async def _police_only(self, camera_id: uuid.UUID | None) -> str:
        """The article a refusal to a non-police caller cites: the camera's own city's (HRB art.
        20(4) or KMG art. 21(3)), never another's; none when the camera cannot be told."""
        try:
            camera = await self.cameras.get(camera_id) if camera_id is not None else None
        except Exception:
            return ""  # the refusal stands whatever the registry answers
        pack = self.book.get(camera.jurisdiction) if camera is not None else None
        return f" ({pack.cite(pack.images_to_police_only.article)})" if pack else ""

    @staticmethod
    def _check_request(req: CallUpRequest, camera_id: uuid.UUID | None) -> None:
        # Blanks, or characters that show nothing (a zero-width space), are no purpose either.
        missing = [
            FieldError(name, "required", f"{label} is required for every call-up, in characters that show")
            for name, label in (
                ("purpose", "The purpose (用途)"),
                ("case_number", "A case or incident number"),
                ("destination", "The destination (去向)"),
            )
            if shows_nothing(getattr(req, name) or "")
        ]
        if req.camera_id is None:
            missing.insert(0, FieldError("camera_id", "required", "The camera is required"))
        elif camera_id is None:
            missing.insert(0, FieldError("camera_id", "uuid", "The camera id is not a UUID"))
        if req.mode == "live":
            missing.extend(
                FieldError(name, "live-without-range", "A live call-up takes no range: call up a playback")
                for name in ("range_from", "range_to")
                if getattr(req, name) is not None
            )
        if missing:
            raise ValidationFailed(missing)

    def _check_camera(self, camera: Camera, camera_id: uuid.UUID, req: CallUpRequest) -> None:
        pack = self.book.get(camera.jurisdiction)
        if camera.unit_closed:
            raise ValidationFailed.single(
                "camera_id", "unit-active", "The camera's unit was closed (注销): it is no longer networked"
            )
        # The pack's own list, and what the registry applies now (the tech office's additions).
        if pack is not None and (
            camera.forbidden_place or pack.is_forbidden_camera_place(camera.location_type)
        ):
            why = f" ({camera.forbidden_place})" if camera.forbidden_place else ""
            raise LegalRuleViolation(
                f"The camera is in a place where cameras are forbidden{why}: its images are not handed out",
                pack.cite(pack.forbidden_camera_places.article),
                "camera_id",
            )
        if not camera.reachable and camera.networking != "connected":
            raise ValidationFailed.single(
                "camera_id", "networked", "The camera is not networked with the police platform"
            )
        if req.mode == "playback":
            self._check_range(req)

    def _check_range(self, req: CallUpRequest) -> None:
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
        if end - start > self.playback_max:
            hours = self.playback_max.total_seconds() / 3600
            raise ValidationFailed.single(
                "range_to",
                "platform-playback-limit",
                f"One playback grant covers at most {hours:g} hours: a platform default, not a legal "
                "limit (no article limits how far back the police may look); call up the rest in "
                "further grants",
            )

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


def _existing(camera: Camera | None, camera_id: uuid.UUID) -> Camera:
    if camera is None or camera.kind != "camera":
        raise NotFound(f"No camera {camera_id}")
    return camera


def _check_jurisdiction(principal: Principal, camera: Camera) -> None:
    """An officer calls up the cameras of its own bureau's jurisdiction (a platform rule of need
    to know, not an article): the city its token names (``jurisdiction``, the policy pack id the
    registry gives the camera's unit) and, for an officer of a district bureau (分局: each
    district's bureau works in its own area, 本辖区, as HRB art. 5 para. 2 has it), the district
    its token names, as the registry names the unit's district. A `police_supervisor` may call
    up any camera; either way the call-up is registered. A token naming no jurisdiction has
    none to call up in (fail closed)."""
    if principal.has(Role.POLICE_SUPERVISOR):
        return
    if principal.jurisdiction == camera.jurisdiction and principal.district in (None, camera.district):
        return
    mine = (
        f"{principal.jurisdiction}{f', {principal.district}' if principal.district else ''}"
        if principal.jurisdiction
        else "none (the token names no jurisdiction)"
    )
    raise Forbidden(
        f"The camera is outside your bureau's jurisdiction (the camera: {camera.jurisdiction}, "
        f"{camera.district}; yours: {mine}): a call-up across jurisdictions needs police_supervisor"
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
