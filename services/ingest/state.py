"""What a poll changes about a device: a pure function of its previous state, the poll,
and the unit's policy pack. The publisher turns the changes into DeviceStateChange events.

- offline after N consecutive failed polls (a pack platform default), back online with the
  outage's start, end and length (HRB art. 20(5), KMG art. 19);
- device replaced: the serial number changed; recorded as maintenance, not a breach (KMG art.
  20(2) even asks for prompt repair);
- stream configuration changed (codec, bitrate, resolution, frame rate, GOP, profiles):
  maintenance, recorded without an article;
- position or scope changed, as the device itself shows it (a suspicion citing HRB art. 20(6) /
  KMG art. 21(4), 22(2), for an officer): a different video source; a PTZ camera away from its
  registered preset by more than the pack's tolerance for the pack's number of polls in a row
  (an operator's brief move is not one), recorded again when it is back; a scene-change alarm
  that stays raised longer than the pack's threshold (a brief one is only the alarm);
- image quality below the pack's floor (KMG art. 20(3));
- clock drift past the pack's threshold (a platform default, no article).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from jifang.onvif import Profile, PtzVector, VideoSource
from jifang.policy import FindingRule, PolicyPack


@dataclass(frozen=True)
class PtzReading:
    """A PTZ camera's registered preset and where its head points, as one poll read them."""

    preset_token: str
    preset: PtzVector
    position: PtzVector


@dataclass(frozen=True)
class RaisedAlarm:
    """An alarm the device keeps raised: since when (as ingest received it), on which source."""

    since: datetime
    source: str


@dataclass(frozen=True)
class PollOutcome:
    at: datetime
    ok: bool
    result: str  # "ok", "timeout", "auth_failure", ...
    serial_number: str | None = None
    profiles: tuple[Profile, ...] | None = None
    video_sources: tuple[VideoSource, ...] | None = None
    clock_drift_s: float | None = None
    ptz: PtzReading | None = None  # None: no PTZ service, no preset registered, or not readable
    scene_change: RaisedAlarm | None = None  # a scene-change alarm raised now


@dataclass(frozen=True)
class DeviceState:
    online: bool | None = None  # None until the first verdict
    failed_polls: int = 0
    first_failure_at: datetime | None = None
    outage_start: datetime | None = None
    serial_number: str | None = None
    profiles: tuple[Profile, ...] | None = None
    video_sources: tuple[VideoSource, ...] | None = None
    quality_low: frozenset[str] = frozenset()
    drifting: bool = False
    ptz_away_polls: int = 0  # polls in a row away from the registered preset
    ptz_away_since: datetime | None = None
    ptz_reported: bool = False
    scene_change_reported: datetime | None = None  # the raised scene change already reported


@dataclass(frozen=True)
class Change:
    # went_offline, came_back, replaced, configuration_changed, position_changed,
    # position_restored, quality_below_floor, clock_drift
    kind: str
    articles: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)


def _duty(pack: PolicyPack, rule: FindingRule) -> tuple[str, ...]:
    basis = pack.findings.get(rule)
    return tuple(pack.cite(a) for a in basis.articles) if basis else ()


def _describe_changes(
    before: tuple[Profile, ...],
    after: tuple[Profile, ...],
    src_before: tuple[VideoSource, ...] | None,
    src_after: tuple[VideoSource, ...] | None,
) -> list[str]:
    out: list[str] = []
    old = {p.token: p for p in before}
    new = {p.token: p for p in after}
    for token in sorted(old.keys() - new.keys()):
        out.append(f"profile {token} removed")
    for token in sorted(new.keys() - old.keys()):
        out.append(f"profile {token} added")
    for token in sorted(old.keys() & new.keys()):
        out.extend(_profile_changes(token, old[token], new[token]))
    if (
        src_before is not None
        and src_after is not None
        and {s.token for s in src_before} != {s.token for s in src_after}
    ):
        out.append("video sources changed")
    return out


def _profile_changes(token: str, a: Profile, b: Profile) -> list[str]:
    out: list[str] = []
    if (a.width, a.height) != (b.width, b.height):
        out.append(f"{token} resolution {a.width}x{a.height} -> {b.width}x{b.height}")
    if a.encoding != b.encoding:
        out.append(f"{token} codec {a.encoding} -> {b.encoding}")
    if a.fps != b.fps:
        out.append(f"{token} frame rate {a.fps:g} -> {b.fps:g}")
    if a.bitrate_kbps != b.bitrate_kbps:
        out.append(f"{token} bitrate {a.bitrate_kbps} -> {b.bitrate_kbps} kbps")
    if a.gop != b.gop:
        out.append(f"{token} GOP {a.gop} -> {b.gop}")
    if a.source_token != b.source_token:
        out.append(f"{token} video source {a.source_token} -> {b.source_token}")
    return out


def derive(pack: PolicyPack, state: DeviceState, poll: PollOutcome) -> tuple[DeviceState, list[Change]]:
    if not poll.ok:
        return _failed(pack, state, poll)
    changes: list[Change] = []
    new = replace(state, failed_polls=0, first_failure_at=None, online=True)
    if state.online is False and state.outage_start is not None:
        length = (poll.at - state.outage_start).total_seconds()
        changes.append(
            Change(
                "came_back",
                _duty(pack, FindingRule.OPERATION_INTERRUPTED),
                {"outage_start": state.outage_start, "outage_end": poll.at, "outage_seconds": length},
            )
        )
        new = replace(new, outage_start=None)
    replaced = (
        None not in (poll.serial_number, state.serial_number) and poll.serial_number != state.serial_number
    )
    # A new device explains a different configuration, its video sources' names included.
    changed_articles = () if replaced else _duty(pack, FindingRule.PURPOSE_POSITION_CHANGED)
    if poll.serial_number is not None:
        if replaced:
            # A replaced device is maintenance: recorded, citing no breach.
            changes.append(
                Change(
                    "replaced",
                    (),
                    {"old_serial_number": state.serial_number, "new_serial_number": poll.serial_number},
                )
            )
        new = replace(new, serial_number=poll.serial_number)
    if poll.profiles is not None:
        new = _configuration(pack, state, new, poll, poll.profiles, changed_articles, changes)
    if poll.clock_drift_s is not None:
        drift_limit = float(pack.default("clock_drift_threshold_s"))
        drifting = abs(poll.clock_drift_s) > drift_limit
        if drifting and not state.drifting:
            changes.append(
                Change("clock_drift", (), {"drift_s": poll.clock_drift_s, "threshold_s": drift_limit})
            )
        new = replace(new, drifting=drifting)
    new = _position(pack, state, new, poll, changes)
    return new, changes


def _failed(pack: PolicyPack, state: DeviceState, poll: PollOutcome) -> tuple[DeviceState, list[Change]]:
    """A poll without an answer: offline once the pack's count of failed polls is reached."""
    failures = state.failed_polls + 1
    first = state.first_failure_at or poll.at
    new = replace(state, failed_polls=failures, first_failure_at=first)
    threshold = int(pack.default("device_failed_polls_offline"))
    if state.online is False or failures < threshold:
        return new, []
    went = Change(
        "went_offline",
        _duty(pack, FindingRule.OPERATION_INTERRUPTED),
        {"since": first, "failed_polls": failures, "last_result": poll.result},
    )
    return replace(new, online=False, outage_start=first), [went]


def _configuration(
    pack: PolicyPack,
    state: DeviceState,
    new: DeviceState,
    poll: PollOutcome,
    profiles: tuple[Profile, ...],
    changed_articles: tuple[str, ...],
    changes: list[Change],
) -> DeviceState:
    """The stream profiles read: what changed since the last poll, and the image quality."""
    if state.profiles is not None:
        described = _describe_changes(state.profiles, profiles, state.video_sources, poll.video_sources)
        # Only a different video source suggests a changed position or scope (a suspicion);
        # codec, bitrate and the like are maintenance, recorded without an article.
        moved = [d for d in described if "video source" in d] if changed_articles else []
        maintenance = [d for d in described if d not in moved]
        if maintenance:
            changes.append(Change("configuration_changed", (), {"changes": maintenance}))
        if moved:
            changes.append(
                Change(
                    "position_changed", changed_articles, {"reason": "video_source_changed", "changes": moved}
                )
            )
    low = _low_profiles(pack, profiles)
    changes.extend(_quality(pack, state, profiles, low))
    return replace(
        new, profiles=profiles, video_sources=poll.video_sources or state.video_sources, quality_low=low
    )


def _floor(pack: PolicyPack) -> tuple[int, int, float]:
    return (
        int(pack.default("image_min_width")),
        int(pack.default("image_min_height")),
        float(pack.default("image_min_fps")),
    )


def _low_profiles(pack: PolicyPack, profiles: tuple[Profile, ...]) -> frozenset[str]:
    if FindingRule.IMAGE_QUALITY_LOW not in pack.findings or not profiles:
        return frozenset()
    w, h, fps = _floor(pack)
    # The best stream a device offers is what counts: a low sub-stream next to a good main
    # stream is normal. The device is low only when even its best profile is below the floor.
    best = max(profiles, key=lambda p: (p.width * p.height, p.fps))
    return frozenset({best.token}) if (best.width < w or best.height < h or best.fps < fps) else frozenset()


def _quality(
    pack: PolicyPack, state: DeviceState, profiles: tuple[Profile, ...], low: frozenset[str]
) -> list[Change]:
    if not low or low <= state.quality_low:
        return []
    w, h, fps = _floor(pack)
    best = next(p for p in profiles if p.token in low)
    return [
        Change(
            "quality_below_floor",
            _duty(pack, FindingRule.IMAGE_QUALITY_LOW),
            {
                "profile_token": best.token,
                "width": best.width,
                "height": best.height,
                "fps": best.fps,
                "min_width": w,
                "min_height": h,
                "min_fps": fps,
            },
        )
    ]


# ONVIF's generic position spaces, the only ones the pack's tolerance is measured in.
GENERIC_PAN_TILT = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
GENERIC_ZOOM = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"


def _generic(generic: str, *spaces: str | None) -> bool:
    return all(space in (None, "", generic) for space in spaces)


def ptz_offset(preset: PtzVector, position: PtzVector) -> float | None:
    """The largest difference on an axis both vectors give in the generic spaces; None if none
    is comparable (a device answering in degrees is not judged against a generic tolerance).
    Pan wraps around: on a 360-degree head -1 and 1 are the same direction."""
    diffs: list[float] = []
    if _generic(GENERIC_PAN_TILT, preset.pan_tilt_space, position.pan_tilt_space):
        if preset.pan is not None and position.pan is not None:
            pan = abs(preset.pan - position.pan)
            diffs.append(min(pan, abs(2.0 - pan)))
        if preset.tilt is not None and position.tilt is not None:
            diffs.append(abs(preset.tilt - position.tilt))
    zoom_comparable = _generic(GENERIC_ZOOM, preset.zoom_space, position.zoom_space)
    if zoom_comparable and preset.zoom is not None and position.zoom is not None:
        diffs.append(abs(preset.zoom - position.zoom))
    return max(diffs) if diffs else None


def _position(
    pack: PolicyPack, state: DeviceState, new: DeviceState, poll: PollOutcome, changes: list[Change]
) -> DeviceState:
    """What the device shows of its position: the PTZ head against its preset, and a scene
    change that stays raised (nothing where the pack has no such duty)."""
    if FindingRule.PURPOSE_POSITION_CHANGED not in pack.findings:
        return new
    if poll.ptz is not None:
        new = _ptz(pack, state, new, poll.at, poll.ptz, changes)
    raised = poll.scene_change
    if raised is None:
        return replace(new, scene_change_reported=None)
    lasted = (poll.at - raised.since).total_seconds()
    threshold = float(pack.default("scene_change_persisting_s"))
    if state.scene_change_reported == raised.since or lasted < threshold:
        return new
    changes.append(
        Change(
            "position_changed",
            _duty(pack, FindingRule.PURPOSE_POSITION_CHANGED),
            {
                "reason": "scene_change_persisting",
                "since": raised.since,
                "seconds": lasted,
                "threshold_s": threshold,
                "source": raised.source,
            },
        )
    )
    return replace(new, scene_change_reported=raised.since)


def _ptz(
    pack: PolicyPack,
    state: DeviceState,
    new: DeviceState,
    at: datetime,
    reading: PtzReading,
    changes: list[Change],
) -> DeviceState:
    offset = ptz_offset(reading.preset, reading.position)
    if offset is None:
        return new  # nothing comparable: no verdict either way
    tolerance = float(pack.default("ptz_preset_tolerance"))
    if offset <= tolerance:
        if state.ptz_reported:
            # Back at its preset: recorded, citing nothing (the officer judges what happened).
            changes.append(
                Change(
                    "position_restored",
                    (),
                    {
                        "preset_token": reading.preset_token,
                        "position": reading.position,
                        "away_since": state.ptz_away_since,
                    },
                )
            )
        return replace(new, ptz_away_polls=0, ptz_away_since=None, ptz_reported=False)
    polls = state.ptz_away_polls + 1
    new = replace(new, ptz_away_polls=polls, ptz_away_since=state.ptz_away_since or at)
    if state.ptz_reported or polls < int(pack.default("ptz_away_polls")):
        return new
    changes.append(
        Change(
            "position_changed",
            _duty(pack, FindingRule.PURPOSE_POSITION_CHANGED),
            {
                "reason": "ptz_away_from_preset",
                "preset_token": reading.preset_token,
                "preset_position": reading.preset,
                "position": reading.position,
                "offset": offset,
                "tolerance": tolerance,
                "polls": polls,
                "since": new.ptz_away_since,
            },
        )
    )
    return replace(new, ptz_reported=True)
