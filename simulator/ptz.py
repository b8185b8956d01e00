"""The PTZ head of a simulated camera (ONVIF PTZ service, ver20): where it points, the presets
it keeps, and how a vendor's firmware answers for them.

Positions are in ONVIF's generic position spaces: pan and tilt -1..1, zoom 0..1. The head is
moved by the control API (an operator at the unit's keyboard, or someone turning it), never by
the platform, which only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PAN_TILT_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"

# How a firmware answers: "standard"; "status_fault" lists the PTZ service and its presets
# but faults on GetStatus (cheap domes whose position is not readable over ONVIF).
Dialect = Literal["standard", "status_fault"]


@dataclass
class Preset:
    token: str
    name: str
    pan: float
    tilt: float
    zoom: float


@dataclass
class PtzHead:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    presets: list[Preset] = field(default_factory=lambda: [Preset("1", "Home", 0.0, 0.0, 0.0)])
    dialect: Dialect = "standard"
    moving: bool = False
    node_token: str = "PTZNode_1"

    def preset(self, token: str) -> Preset | None:
        return next((p for p in self.presets if p.token == token), None)

    def move(self, changes: dict[str, object]) -> None:
        """The control API's move: absolute ``pan``, ``tilt``, ``zoom`` (each in its generic
        space), or ``preset`` (the head goes back to that preset)."""
        unknown = set(changes) - {"pan", "tilt", "zoom", "preset", "moving"}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        if "preset" in changes:
            preset = self.preset(str(changes["preset"]))
            if preset is None:
                raise ValueError(f"no preset {changes['preset']!r}")
            self.pan, self.tilt, self.zoom = preset.pan, preset.tilt, preset.zoom
        for axis, low in (("pan", -1.0), ("tilt", -1.0), ("zoom", 0.0)):
            if axis in changes:
                value = float(str(changes[axis]))
                if not low <= value <= 1.0:
                    raise ValueError(f"{axis} must be within {low:g}..1")
                setattr(self, axis, value)
        if "moving" in changes:
            self.moving = bool(changes["moving"])


def ptz_head(spec: object) -> PtzHead | None:
    """A head from the control API: null removes it (no PTZ service); an object sets
    ``dialect`` and ``presets`` ([{"token", "name", "pan", "tilt", "zoom"}]) of a new head."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError("ptz must be an object or null")
    head = PtzHead()
    if "dialect" in spec:
        if spec["dialect"] not in ("standard", "status_fault"):
            raise ValueError("dialect: standard or status_fault")
        head.dialect = spec["dialect"]
    if "presets" in spec:
        head.presets = [
            Preset(
                str(p["token"]),
                str(p.get("name", p["token"])),
                float(p.get("pan", 0)),
                float(p.get("tilt", 0)),
                float(p.get("zoom", 0)),
            )
            for p in spec["presets"]
        ]
        if head.presets:
            first = head.presets[0]
            head.pan, head.tilt, head.zoom = first.pan, first.tilt, first.zoom
    return head
