"""The fleet: one process, one aiohttp application, one loopback port per device.

A device is told apart by the local port a request arrives on, so every device answers at
the standard paths (``/onvif/device_service`` ...) as real cameras do. Taking a device
offline closes its listening socket: connections are refused, as with a dead camera.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable
from dataclasses import asdict, fields
from datetime import timedelta

from aiohttp import web

from simulator.device import Behaviour, SimDevice, StreamProfile
from simulator.ptz import PtzHead, ptz_head
from simulator.recordings import Recording, RecordingIndex, footage
from simulator.services import PRE_AUTH, dispatch
from simulator.soap import (
    SOAP_CONTENT_TYPE,
    SoapFault,
    envelope,
    fault_envelope,
    parse_request,
    verify_username_token,
)

log = logging.getLogger("simulator")
HANG_S = 3600.0  # a hanging device holds the request this long (until the client gives up)


def _bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


class Fleet:
    def __init__(self) -> None:
        self.devices: dict[str, SimDevice] = {}
        self._by_port: dict[int, SimDevice] = {}
        self._sites: dict[str, web.SockSite] = {}
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_post("/onvif/{service}", self._handle)
        # A hung request ends when its client gives up; stopping the fleet does not wait for it.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, handler_cancellation=True, shutdown_timeout=0.5
        )
        self._started = False

    async def start(self, devices: Iterable[SimDevice] = ()) -> None:
        if not self._started:
            await self._runner.setup()
            self._started = True
        for dev in devices:
            await self.add(dev)

    async def add(self, dev: SimDevice) -> SimDevice:
        if dev.device_id in self.devices:
            raise ValueError(f"device {dev.device_id} exists")
        self.devices[dev.device_id] = dev
        await self._open(dev)
        return dev

    async def _open(self, dev: SimDevice) -> None:
        sock = _bind(dev.port)
        dev.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._sites[dev.device_id] = site
        self._by_port[dev.port] = dev

    async def _close(self, dev: SimDevice) -> None:
        site = self._sites.pop(dev.device_id, None)
        if site is not None:
            await site.stop()

    async def set_offline(self, device_id: str, offline: bool) -> None:
        dev = self.devices[device_id]
        if offline and not dev.behaviour.offline:
            await self._close(dev)
        elif not offline and dev.behaviour.offline:
            await self._open(dev)
        dev.behaviour.offline = offline

    async def update(self, device_id: str, changes: dict[str, object]) -> SimDevice:
        """Change behaviour (and credentials, or replace the hardware) of one device."""
        dev = self.devices[device_id]
        for key, value in changes.items():
            if key == "offline":
                await self.set_offline(device_id, bool(value))
            elif not (
                _set_device(dev, key, value)
                or _set_recordings(dev, key, value)
                or _set_events(dev, key, value)
                or _set_camera(dev, key, value)
            ):
                raise KeyError(key)
        return dev

    async def stop(self) -> None:
        for dev in list(self.devices.values()):
            await self._close(dev)
        if self._started:
            await self._runner.cleanup()
            self._started = False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        dev = self._by_port.get(sockname[1]) if sockname else None
        if dev is None:
            raise web.HTTPNotFound()
        b = dev.behaviour
        if b.offline:
            # A kept-alive connection to a dead device dies too.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)
        if b.hanging:
            await asyncio.sleep(HANG_S)
        if b.slow_s:
            await asyncio.sleep(b.slow_s)
        dev.requests_served += 1
        path = request.path
        try:
            req = parse_request(await request.read())
            if req.operation not in PRE_AUTH and not b.unauthenticated_ok:
                verify_username_token(req, dev.username, dev.password, dev.now(), dev.nonces)
            if b.faulting and req.operation not in PRE_AUTH:
                raise SoapFault("Receiver", "ter:Action", "The device failed to process the request")
            if b.malformed:
                return web.Response(
                    body=b"<?xml version='1.0'?><env:Envelope><env:Body><Broken",
                    headers={"Content-Type": SOAP_CONTENT_TYPE},
                )
            body = await dispatch(dev, path, req.operation, req.body, request.query)
        except SoapFault as fault:
            return web.Response(
                body=fault_envelope(fault),
                status=fault.http_status,
                headers={"Content-Type": SOAP_CONTENT_TYPE},
            )
        return web.Response(body=envelope(body), headers={"Content-Type": SOAP_CONTENT_TYPE})


def recording_index(dev: SimDevice, specs: object) -> RecordingIndex | None:
    """Recordings from the control API: [{"source_token", "days", "gaps": [[from, to], ...],
    "max_retention_days", "status"}], gaps in days ago; null removes the device's storage."""
    if specs is None:
        return None
    if not isinstance(specs, list):
        raise ValueError("recordings must be a list")
    now = dev.now()
    recordings = []
    for i, spec in enumerate(specs, start=1):
        if not isinstance(spec, dict):
            raise ValueError("each recording is an object")
        status = str(spec.get("status", "Recording"))
        gaps = [(float(a), float(b)) for a, b in spec.get("gaps", [])]
        recordings.append(
            Recording(
                token=str(spec.get("token", f"Recording_{i}")),
                source_token=str(spec.get("source_token", f"VideoSource_{i}")),
                segments=footage(now, float(spec["days"]), gaps, recording=status == "Recording"),
                max_retention=timedelta(days=float(spec.get("max_retention_days", 30))),
                status=status,
            )
        )
    return RecordingIndex(recordings)


def describe(dev: SimDevice) -> dict[str, object]:
    return {
        "device_id": dev.device_id,
        "kind": dev.kind,
        "onvif_address": f"{dev.base_url}/onvif/device_service",
        "port": dev.port,
        "username": dev.username,
        "password": dev.password,
        "serial_number": dev.serial_number,
        "behaviour": asdict(dev.behaviour),
        "requests_served": dev.requests_served,
        "events": dev.events,
        "pull_points": len(dev.event_source.live(dev.now())),
        "pull_points_created": dev.event_source.created,
        "ptz": None if dev.ptz is None else _describe_ptz(dev.ptz),
        "profiles": [asdict(p) for p in dev.profiles],
        "recordings": None
        if dev.recordings is None
        else [
            {
                "token": r.token,
                "source_token": r.source_token,
                "segments": [
                    [seg.start.isoformat(), seg.end.isoformat() if seg.end else None] for seg in r.segments
                ],
                "max_retention_days": r.max_retention.total_seconds() / 86400,
                "status": r.status,
            }
            for r in dev.recordings.recordings
        ],
    }


def _describe_ptz(head: PtzHead) -> dict[str, object]:
    return {
        "pan": head.pan,
        "tilt": head.tilt,
        "zoom": head.zoom,
        "moving": head.moving,
        "dialect": head.dialect,
        "presets": [asdict(p) for p in head.presets],
    }


def control_app(fleet: Fleet) -> web.Application:
    """JSON control of the fleet, for `make run` and tests in other processes."""

    async def list_devices(_r: web.Request) -> web.Response:
        return web.json_response([describe(d) for d in fleet.devices.values()])

    async def get_device(r: web.Request) -> web.Response:
        dev = fleet.devices.get(r.match_info["device_id"])
        if dev is None:
            raise web.HTTPNotFound()
        return web.json_response(describe(dev))

    async def patch_device(r: web.Request) -> web.Response:
        if r.match_info["device_id"] not in fleet.devices:
            raise web.HTTPNotFound()
        try:
            changes = await r.json()
            dev = await fleet.update(r.match_info["device_id"], changes)
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": f"unknown or bad field: {exc}"}, status=422)
        return web.json_response(describe(dev))

    async def raise_alarm(r: web.Request) -> web.Response:
        """{"kind": "motion" | "tamper" | "scene_change" | "video_loss" | "storage_failure",
        "active": true, "source": ...}"""
        dev = fleet.devices.get(r.match_info["device_id"])
        if dev is None:
            raise web.HTTPNotFound()
        try:
            body = await r.json()
            delivered = dev.raise_alarm(str(body["kind"]), bool(body.get("active", True)), body.get("source"))
        except (ValueError, KeyError, TypeError) as exc:
            return web.json_response({"error": f"unknown or bad field: {exc}"}, status=422)
        return web.json_response({"delivered_to_pull_points": delivered}, status=202)

    app = web.Application()
    app.router.add_post("/devices/{device_id}/alarms", raise_alarm)
    app.router.add_get("/devices", list_devices)
    app.router.add_get("/devices/{device_id}", get_device)
    app.router.add_patch("/devices/{device_id}", patch_device)
    return app


@contextlib.asynccontextmanager
async def running_fleet(devices: Iterable[SimDevice]):  # type: ignore[no-untyped-def]
    fleet = Fleet()
    await fleet.start(devices)
    try:
        yield fleet
    finally:
        await fleet.stop()


_BEHAVIOUR = frozenset(f.name for f in fields(Behaviour))
_INDEX_FAULTS = (None, "summary_inverted", "tracks_outside_summary", "track_inverted")


def _set_device(dev: SimDevice, key: str, value: object) -> bool:
    """Behaviour, password, hardware and reboots; False if ``key`` is none of them."""
    if key in _BEHAVIOUR:
        setattr(dev.behaviour, key, value)
    elif key == "password":
        dev.password = str(value)
    elif key == "replace":
        if value:
            dev.replace()
    elif key == "reboot":
        if value:
            dev.event_source.drop_all()  # subscriptions do not survive a reboot
    else:
        return False
    return True


def _set_recordings(dev: SimDevice, key: str, value: object) -> bool:
    """The recording index (Profile G) and its faults; False if ``key`` is none of them."""
    if key == "recordings":
        dev.recordings = recording_index(dev, value)
        return True
    if key not in ("search_hangs", "index_fault"):
        return False
    if dev.recordings is None:
        raise KeyError(f"{key} (the device has no recordings)")
    if key == "search_hangs":
        dev.recordings.search_hangs = bool(value)
    elif value in _INDEX_FAULTS:
        dev.recordings.index_fault = value
    else:
        raise ValueError("index_fault: summary_inverted, tracks_outside_summary or track_inverted")
    return True


def _set_events(dev: SimDevice, key: str, value: object) -> bool:
    """The events service and its pull points; False if ``key`` is none of them."""
    if key in ("max_pull_points", "pull_extends"):
        setattr(dev.event_source, key, value)
    elif key == "max_pull_wait_s":
        dev.event_source.max_wait = timedelta(seconds=float(str(value)))
    elif key == "events":
        dev.events = bool(value)
        dev.event_source.drop_all()
    else:
        return False
    return True


_STREAM_FIELDS = frozenset(f.name for f in fields(StreamProfile)) - {"token", "name"}


def _set_camera(dev: SimDevice, key: str, value: object) -> bool:
    """The PTZ head and the streams; False if ``key`` is none of them.

    ``ptz``: a head (``{"dialect", "presets"}``) or null; ``ptz_position``: the head moved
    (``{"pan", "tilt", "zoom"}`` or ``{"preset": token}``); ``stream``: one profile's settings
    changed (``{"token": "Profile_1", "encoding": "H265", "bitrate_kbps": 2048, ...}``).
    """
    if key == "ptz":
        dev.ptz = ptz_head(value)
    elif key == "ptz_position":
        if dev.ptz is None:
            raise KeyError("ptz_position (the device has no PTZ head)")
        if not isinstance(value, dict):
            raise ValueError("ptz_position must be an object")
        dev.ptz.move(value)
    elif key == "stream":
        _set_stream(dev, value)
    else:
        return False
    return True


def _set_stream(dev: SimDevice, value: object) -> None:
    if not isinstance(value, dict):
        raise ValueError("stream must be an object")
    profile = next((p for p in dev.profiles if p.token == value.get("token")), None)
    if profile is None or not set(value) - {"token"} <= _STREAM_FIELDS:
        raise KeyError(f"stream: a profile token of the device and some of {sorted(_STREAM_FIELDS)}")
    for name, setting in value.items():
        if name == "encoding" and setting not in ("H264", "H265", "JPEG"):
            raise ValueError("encoding: H264, H265 or JPEG")
        if name != "token":
            setattr(profile, name, str(setting) if name in ("encoding", "source_token") else int(setting))
    dev.event_source.sources = tuple(sorted({p.source_token for p in dev.profiles}))
