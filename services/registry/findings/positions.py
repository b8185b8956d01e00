"""A changed position or scope, as the device itself shows it, is a suspicion for an officer
(ruling 1): HRB art. 20(6) "不得擅自改变技防系统用途、位置和范围", KMG art. 21(4) "不得擅自改变公共安全
语音图像信息系统的用途和摄像设备的位置" and art. 22(2) "擅自改变技防系统的用途和范围". The platform
sees that a camera reads another video source, rests away from the PTZ preset registered for
it, or keeps a scene-change alarm raised; whether that was done without authorisation (擅自)
an officer decides. One open suspicion per device collects what it showed.

A replaced device, or a changed codec, bitrate or resolution, is maintenance (KMG art. 20(2)
even asks for prompt repair): ingest records it, and nothing is raised here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import FindingRule, PolicyPack
from jifang.v1 import ingest_pb2
from services.registry.findings.outages import local_time
from services.registry.findings.suspicions import add_to_active, suspect_device
from services.registry.models import Device, Unit


def subject_key(device_id: uuid.UUID) -> str:
    return f"position:device:{device_id}"


def _position(p: ingest_pb2.PtzPosition) -> str:
    axes = [f"{axis} {getattr(p, axis):g}" for axis in ("pan", "tilt", "zoom") if p.HasField(axis)]
    return ", ".join(axes) or "not reported"


def describe(pack: PolicyPack, change: ingest_pb2.PositionChanged) -> str:
    """What the device showed, in the words of the case."""
    since = local_time(pack, change.since.ToDatetime(UTC)) if change.HasField("since") else "?"
    if change.reason == ingest_pb2.POSITION_CHANGE_REASON_VIDEO_SOURCE_CHANGED:
        return f"its stream reads another video source ({'; '.join(change.changes)})"
    if change.reason == ingest_pb2.POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET:
        return (
            f"PTZ head away from its registered preset {change.preset_token} since {since} "
            f"({change.polls} polls in a row): the preset at {_position(change.preset_position)}, "
            f"the head at {_position(change.position)} (off by {change.offset:.3f}, "
            f"tolerance {change.tolerance:g})"
        )
    if change.reason == ingest_pb2.POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING:
        source = f" on {change.source}" if change.source else ""
        return (
            f"scene-change alarm{source} raised since {since}, still raised after "
            f"{change.seconds / 60:.0f} min (threshold {change.threshold_s / 60:g} min)"
        )
    return "a changed position reported"


async def position_changed(
    session: AsyncSession,
    pack: PolicyPack,
    unit: Unit,
    device: Device,
    change: ingest_pb2.PositionChanged,
    now: datetime,
) -> None:
    rule, key = FindingRule.PURPOSE_POSITION_CHANGED, subject_key(device.id)
    await suspect_device(session, pack, unit, device, rule, key, describe(pack, change), now)


async def position_restored(
    session: AsyncSession,
    pack: PolicyPack,
    unit: Unit,
    device: Device,
    restored: ingest_pb2.PositionRestored,
    at: datetime,
) -> None:
    """Back at its preset: added to the open suspicion, if any (still for an officer to judge);
    no case of its own."""
    what = (
        f"back at its preset {restored.preset_token} at {local_time(pack, at)} "
        f"(the head at {_position(restored.position)})"
    )
    await add_to_active(session, unit, subject_key(device.id), what, at)
