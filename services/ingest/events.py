"""Protobuf events of a poll: the health sample, stream metadata, derived state changes."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Protocol

from google.protobuf.message import Message

from jifang.events import event_meta
from jifang.onvif import PtzVector
from jifang.publisher import Outgoing
from jifang.topics import ALARM_TOPIC, HEALTH_TOPIC, METADATA_TOPIC, STATE_TOPIC
from jifang.v1 import common_pb2, ingest_pb2
from services.ingest.alarms import Alarm
from services.ingest.poll import PollReport
from services.ingest.state import Change

RESULTS = {
    "ok": ingest_pb2.POLL_RESULT_OK,
    "timeout": ingest_pb2.POLL_RESULT_TIMEOUT,
    "auth_failure": ingest_pb2.POLL_RESULT_AUTH_FAILURE,
    "soap_fault": ingest_pb2.POLL_RESULT_SOAP_FAULT,
    "malformed": ingest_pb2.POLL_RESULT_MALFORMED,
    "unreachable": ingest_pb2.POLL_RESULT_UNREACHABLE,
}


ALARM_KINDS = {
    "motion": ingest_pb2.ALARM_KIND_MOTION,
    "tamper": ingest_pb2.ALARM_KIND_TAMPER,
    "scene_change": ingest_pb2.ALARM_KIND_SCENE_CHANGE,
    "video_loss": ingest_pb2.ALARM_KIND_VIDEO_LOSS,
    "storage_failure": ingest_pb2.ALARM_KIND_STORAGE_FAILURE,
}


class Watched(Protocol):
    """The device an event is about, as the poller knows it."""

    device_id: uuid.UUID
    unit_id: uuid.UUID
    district: str
    jurisdiction: str


def _meta(jurisdiction: str) -> common_pb2.EventMeta:
    return event_meta("ingest", jurisdiction)


def _out(topic: str, device: Watched, message: Message, meta: common_pb2.EventMeta, kind: str) -> Outgoing:
    return Outgoing(
        topic,
        str(device.device_id).encode(),
        message.SerializeToString(),
        (("event-id", meta.event_id.encode()), ("event-type", kind.encode())),
    )


def health_sample(device: Watched, r: PollReport) -> Outgoing:
    msg = ingest_pb2.HealthSample(
        meta=_meta(device.jurisdiction),
        device_id=str(device.device_id),
        unit_id=str(device.unit_id),
        district=device.district,
        reachable=r.reachable,
        result=RESULTS.get(r.result, ingest_pb2.POLL_RESULT_UNSPECIFIED),
        clock_drift_s=r.clock_drift_s or 0.0,
        calls=[
            ingest_pb2.CallSample(
                operation=c.operation,
                latency_ms=c.latency_ms,
                result=RESULTS.get(c.result, ingest_pb2.POLL_RESULT_UNSPECIFIED),
                detail=c.detail,
            )
            for c in r.calls
        ],
    )
    msg.polled_at.FromDatetime(r.at)
    return _out(HEALTH_TOPIC, device, msg, msg.meta, "health_sample")


def stream_metadata(device: Watched, r: PollReport) -> tuple[str, Outgoing] | None:
    """(fingerprint, event) of what the device streams, or None after a failed poll."""
    if not r.ok or r.info is None or r.profiles is None:
        return None
    msg = ingest_pb2.StreamMetadata(
        device_id=str(device.device_id),
        unit_id=str(device.unit_id),
        serial_number=r.info.serial_number,
        manufacturer=r.info.manufacturer,
        model=r.info.model,
        firmware_version=r.info.firmware_version,
        media2=r.media2,
        profiles=[
            ingest_pb2.StreamProfile(
                token=p.token,
                name=p.name,
                encoding=p.encoding,
                width=p.width,
                height=p.height,
                fps=p.fps,
                bitrate_kbps=p.bitrate_kbps,
                gop=p.gop or 0,
                stream_uri=r.stream_uris.get(p.token, ""),
                source_token=p.source_token or "",
            )
            for p in r.profiles
        ],
        video_sources=[
            ingest_pb2.VideoSourceInfo(token=s.token, width=s.width, height=s.height, fps=s.fps)
            for s in r.video_sources or ()
        ],
    )
    fingerprint = hashlib.sha256(msg.SerializeToString(deterministic=True)).hexdigest()
    msg.meta.CopyFrom(_meta(device.jurisdiction))
    return fingerprint, _out(METADATA_TOPIC, device, msg, msg.meta, "stream_metadata")


POSITION_REASONS = {
    "video_source_changed": ingest_pb2.POSITION_CHANGE_REASON_VIDEO_SOURCE_CHANGED,
    "ptz_away_from_preset": ingest_pb2.POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET,
    "scene_change_persisting": ingest_pb2.POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING,
}


def _ptz_position(target: ingest_pb2.PtzPosition, vector: PtzVector) -> None:
    for axis in ("pan", "tilt", "zoom"):
        value = getattr(vector, axis)
        if value is not None:
            setattr(target, axis, value)


def _position_changed(p: ingest_pb2.PositionChanged, d: dict[str, Any]) -> None:
    p.reason = POSITION_REASONS[str(d["reason"])]
    p.changes.extend(d.get("changes", ()))
    p.preset_token = str(d.get("preset_token", ""))
    for name in ("preset_position", "position"):
        if d.get(name) is not None:
            _ptz_position(getattr(p, name), d[name])
    p.offset, p.tolerance = float(d.get("offset", 0.0)), float(d.get("tolerance", 0.0))
    p.polls = int(d.get("polls", 0))
    if d.get("since") is not None:
        p.since.FromDatetime(d["since"])
    p.seconds, p.threshold_s = float(d.get("seconds", 0.0)), float(d.get("threshold_s", 0.0))
    p.source = str(d.get("source", ""))


def _position_restored(p: ingest_pb2.PositionRestored, d: dict[str, Any]) -> None:
    p.preset_token = str(d["preset_token"])
    _ptz_position(p.position, d["position"])
    if d.get("away_since") is not None:
        p.away_since.FromDatetime(d["away_since"])


def state_change(device: Watched, change: Change) -> Outgoing:
    msg = ingest_pb2.DeviceStateChange(
        meta=_meta(device.jurisdiction),
        device_id=str(device.device_id),
        unit_id=str(device.unit_id),
        district=device.district,
        articles=list(change.articles),
    )
    d = change.data
    if change.kind == "went_offline":
        msg.went_offline.since.FromDatetime(d["since"])
        msg.went_offline.failed_polls = int(d["failed_polls"])
        msg.went_offline.last_result = RESULTS.get(str(d["last_result"]), ingest_pb2.POLL_RESULT_UNSPECIFIED)
    elif change.kind == "came_back":
        msg.came_back.outage_start.FromDatetime(d["outage_start"])
        msg.came_back.outage_end.FromDatetime(d["outage_end"])
        msg.came_back.outage_seconds = float(d["outage_seconds"])
    elif change.kind == "replaced":
        msg.replaced.old_serial_number = str(d["old_serial_number"])
        msg.replaced.new_serial_number = str(d["new_serial_number"])
    elif change.kind == "configuration_changed":
        msg.configuration_changed.changes.extend(d["changes"])
    elif change.kind == "quality_below_floor":
        q = msg.quality_below_floor
        q.profile_token = str(d["profile_token"])
        q.width, q.height, q.fps = int(d["width"]), int(d["height"]), float(d["fps"])
        q.min_width, q.min_height, q.min_fps = int(d["min_width"]), int(d["min_height"]), float(d["min_fps"])
    elif change.kind == "clock_drift":
        msg.clock_drift.drift_s = float(d["drift_s"])
        msg.clock_drift.threshold_s = float(d["threshold_s"])
    elif change.kind == "position_changed":
        _position_changed(msg.position_changed, d)
    elif change.kind == "position_restored":
        _position_restored(msg.position_restored, d)
    return _out(STATE_TOPIC, device, msg, msg.meta, change.kind)


def alarm_event(device: Watched, alarm: Alarm) -> Outgoing:
    msg = ingest_pb2.AlarmEvent(
        meta=_meta(device.jurisdiction),
        device_id=str(device.device_id),
        unit_id=str(device.unit_id),
        district=device.district,
        kind=ALARM_KINDS.get(alarm.kind, ingest_pb2.ALARM_KIND_OTHER),
        active=alarm.active,
        source=alarm.source,
        onvif_topic=alarm.onvif_topic,
        data=alarm.data,
    )
    if alarm.occurred_at is not None:
        msg.occurred_at.FromDatetime(alarm.occurred_at)
    return _out(ALARM_TOPIC, device, msg, msg.meta, f"alarm_{alarm.kind}")
