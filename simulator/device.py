"""A simulated device: what it is, what it streams, and how it misbehaves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from simulator.events import EventSource
from simulator.ptz import PtzHead
from simulator.recordings import RecordingIndex
from simulator.soap import NonceCache

Kind = Literal["camera", "nvr"]


@dataclass
class StreamProfile:
    token: str
    name: str
    encoding: Literal["H264", "H265", "JPEG"] = "H264"
    width: int = 1920
    height: int = 1080
    fps: int = 25
    bitrate_kbps: int = 4096
    gop: int = 50
    source_token: str = "VideoSource_1"


@dataclass
class Behaviour:
    """Misbehaviour on demand: each field is what a real device in the field does."""

    offline: bool = False  # the port refuses connections
    slow_s: float = 0.0  # every answer waits this long
    hanging: bool = False  # requests are accepted and never answered
    malformed: bool = False  # answers are not XML
    faulting: bool = False  # every authenticated call gets a Receiver fault
    clock_skew_s: float = 0.0  # the device's clock runs ahead (or behind)
    unauthenticated_ok: bool = False  # a misconfigured device that checks no credentials


@dataclass
class SimDevice:
    device_id: str
    kind: Kind = "camera"
    manufacturer: str = "Jifang Simulated Devices"
    model: str = "SIM-IPC-2MP"
    firmware: str = "1.0.0"
    serial_number: str = field(default_factory=lambda: f"SIM{uuid.uuid4().hex[:12].upper()}")
    hardware_id: str = "SIM-HW-1"
    username: str = "admin"
    password: str = "admin-password"
    media2: bool = True
    # Old devices (before ONVIF 2.1) have no GetServices: clients must use GetCapabilities.
    get_services: bool = True
    profiles: list[StreamProfile] = field(
        default_factory=lambda: [
            StreamProfile("Profile_1", "mainStream"),
            StreamProfile("Profile_2", "subStream", width=640, height=360, fps=15, bitrate_kbps=512, gop=30),
        ]
    )
    # The stream URI it reports, from {port}, {token}, {username} and {password}: real cameras
    # report their credentials in it too (rtsp://admin:pw@..., Hikvision's ?username=&password=).
    stream_uri_format: str = "rtsp://127.0.0.1:{port}/{token}"
    # The Events service (PullPoint); False for devices that offer none.
    events: bool = True
    event_source: EventSource = field(default_factory=EventSource)
    # The PTZ head (PTZ service); None for a fixed camera, which offers no PTZ service.
    ptz: PtzHead | None = None
    # The recording index (Search and Recording services, Profile G); None: no storage.
    recordings: RecordingIndex | None = None
    behaviour: Behaviour = field(default_factory=Behaviour)
    port: int = 0
    nonces: NonceCache = field(default_factory=NonceCache)
    requests_served: int = 0

    def __post_init__(self) -> None:
        self.event_source.sources = tuple(sorted({p.source_token for p in self.profiles}))

    def now(self) -> datetime:
        """The device's own clock, skew included."""
        return datetime.now(UTC) + timedelta(seconds=self.behaviour.clock_skew_s)

    def replace(self) -> str:
        """The unit swapped the hardware: a new serial number behind the same address."""
        self.serial_number = f"SIM{uuid.uuid4().hex[:12].upper()}"
        return self.serial_number

    def raise_alarm(self, kind: str, active: bool = True, source: str | None = None) -> int:
        return self.event_source.raise_alarm(kind, active, self.now(), source)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
