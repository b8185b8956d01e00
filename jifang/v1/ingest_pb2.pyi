import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from jifang.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PollResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLL_RESULT_UNSPECIFIED: _ClassVar[PollResult]
    POLL_RESULT_OK: _ClassVar[PollResult]
    POLL_RESULT_TIMEOUT: _ClassVar[PollResult]
    POLL_RESULT_AUTH_FAILURE: _ClassVar[PollResult]
    POLL_RESULT_SOAP_FAULT: _ClassVar[PollResult]
    POLL_RESULT_MALFORMED: _ClassVar[PollResult]
    POLL_RESULT_UNREACHABLE: _ClassVar[PollResult]

class AlarmKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALARM_KIND_UNSPECIFIED: _ClassVar[AlarmKind]
    ALARM_KIND_MOTION: _ClassVar[AlarmKind]
    ALARM_KIND_TAMPER: _ClassVar[AlarmKind]
    ALARM_KIND_VIDEO_LOSS: _ClassVar[AlarmKind]
    ALARM_KIND_STORAGE_FAILURE: _ClassVar[AlarmKind]
    ALARM_KIND_OTHER: _ClassVar[AlarmKind]
    ALARM_KIND_SCENE_CHANGE: _ClassVar[AlarmKind]

class PositionChangeReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSITION_CHANGE_REASON_UNSPECIFIED: _ClassVar[PositionChangeReason]
    POSITION_CHANGE_REASON_VIDEO_SOURCE_CHANGED: _ClassVar[PositionChangeReason]
    POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET: _ClassVar[PositionChangeReason]
    POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING: _ClassVar[PositionChangeReason]
POLL_RESULT_UNSPECIFIED: PollResult
POLL_RESULT_OK: PollResult
POLL_RESULT_TIMEOUT: PollResult
POLL_RESULT_AUTH_FAILURE: PollResult
POLL_RESULT_SOAP_FAULT: PollResult
POLL_RESULT_MALFORMED: PollResult
POLL_RESULT_UNREACHABLE: PollResult
ALARM_KIND_UNSPECIFIED: AlarmKind
ALARM_KIND_MOTION: AlarmKind
ALARM_KIND_TAMPER: AlarmKind
ALARM_KIND_VIDEO_LOSS: AlarmKind
ALARM_KIND_STORAGE_FAILURE: AlarmKind
ALARM_KIND_OTHER: AlarmKind
ALARM_KIND_SCENE_CHANGE: AlarmKind
POSITION_CHANGE_REASON_UNSPECIFIED: PositionChangeReason
POSITION_CHANGE_REASON_VIDEO_SOURCE_CHANGED: PositionChangeReason
POSITION_CHANGE_REASON_PTZ_AWAY_FROM_PRESET: PositionChangeReason
POSITION_CHANGE_REASON_SCENE_CHANGE_PERSISTING: PositionChangeReason

class CallSample(_message.Message):
    __slots__ = ("operation", "latency_ms", "result", "detail")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    operation: str
    latency_ms: float
    result: PollResult
    detail: str
    def __init__(self, operation: _Optional[str] = ..., latency_ms: _Optional[float] = ..., result: _Optional[_Union[PollResult, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class HealthSample(_message.Message):
    __slots__ = ("meta", "device_id", "unit_id", "district", "polled_at", "reachable", "result", "calls", "clock_drift_s")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    POLLED_AT_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    CLOCK_DRIFT_S_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device_id: str
    unit_id: str
    district: str
    polled_at: _timestamp_pb2.Timestamp
    reachable: bool
    result: PollResult
    calls: _containers.RepeatedCompositeFieldContainer[CallSample]
    clock_drift_s: float
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., district: _Optional[str] = ..., polled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reachable: _Optional[bool] = ..., result: _Optional[_Union[PollResult, str]] = ..., calls: _Optional[_Iterable[_Union[CallSample, _Mapping]]] = ..., clock_drift_s: _Optional[float] = ...) -> None: ...

class StreamProfile(_message.Message):
    __slots__ = ("token", "name", "encoding", "width", "height", "fps", "bitrate_kbps", "gop", "stream_uri", "source_token")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    BITRATE_KBPS_FIELD_NUMBER: _ClassVar[int]
    GOP_FIELD_NUMBER: _ClassVar[int]
    STREAM_URI_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    name: str
    encoding: str
    width: int
    height: int
    fps: float
    bitrate_kbps: int
    gop: int
    stream_uri: str
    source_token: str
    def __init__(self, token: _Optional[str] = ..., name: _Optional[str] = ..., encoding: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fps: _Optional[float] = ..., bitrate_kbps: _Optional[int] = ..., gop: _Optional[int] = ..., stream_uri: _Optional[str] = ..., source_token: _Optional[str] = ...) -> None: ...

class VideoSourceInfo(_message.Message):
    __slots__ = ("token", "width", "height", "fps")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    token: str
    width: int
    height: int
    fps: float
    def __init__(self, token: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fps: _Optional[float] = ...) -> None: ...

class StreamMetadata(_message.Message):
    __slots__ = ("meta", "device_id", "unit_id", "serial_number", "manufacturer", "model", "firmware_version", "media2", "profiles", "video_sources")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MANUFACTURER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    MEDIA2_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    VIDEO_SOURCES_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device_id: str
    unit_id: str
    serial_number: str
    manufacturer: str
    model: str
    firmware_version: str
    media2: bool
    profiles: _containers.RepeatedCompositeFieldContainer[StreamProfile]
    video_sources: _containers.RepeatedCompositeFieldContainer[VideoSourceInfo]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., serial_number: _Optional[str] = ..., manufacturer: _Optional[str] = ..., model: _Optional[str] = ..., firmware_version: _Optional[str] = ..., media2: _Optional[bool] = ..., profiles: _Optional[_Iterable[_Union[StreamProfile, _Mapping]]] = ..., video_sources: _Optional[_Iterable[_Union[VideoSourceInfo, _Mapping]]] = ...) -> None: ...

class AlarmEvent(_message.Message):
    __slots__ = ("meta", "device_id", "unit_id", "district", "kind", "active", "occurred_at", "source", "onvif_topic", "data")
    class DataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ONVIF_TOPIC_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device_id: str
    unit_id: str
    district: str
    kind: AlarmKind
    active: bool
    occurred_at: _timestamp_pb2.Timestamp
    source: str
    onvif_topic: str
    data: _containers.ScalarMap[str, str]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., district: _Optional[str] = ..., kind: _Optional[_Union[AlarmKind, str]] = ..., active: _Optional[bool] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., onvif_topic: _Optional[str] = ..., data: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WentOffline(_message.Message):
    __slots__ = ("since", "failed_polls", "last_result")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    FAILED_POLLS_FIELD_NUMBER: _ClassVar[int]
    LAST_RESULT_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    failed_polls: int
    last_result: PollResult
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_polls: _Optional[int] = ..., last_result: _Optional[_Union[PollResult, str]] = ...) -> None: ...

class CameBack(_message.Message):
    __slots__ = ("outage_start", "outage_end", "outage_seconds")
    OUTAGE_START_FIELD_NUMBER: _ClassVar[int]
    OUTAGE_END_FIELD_NUMBER: _ClassVar[int]
    OUTAGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    outage_start: _timestamp_pb2.Timestamp
    outage_end: _timestamp_pb2.Timestamp
    outage_seconds: float
    def __init__(self, outage_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outage_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outage_seconds: _Optional[float] = ...) -> None: ...

class Replaced(_message.Message):
    __slots__ = ("old_serial_number", "new_serial_number")
    OLD_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEW_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    old_serial_number: str
    new_serial_number: str
    def __init__(self, old_serial_number: _Optional[str] = ..., new_serial_number: _Optional[str] = ...) -> None: ...

class ConfigurationChanged(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, changes: _Optional[_Iterable[str]] = ...) -> None: ...

class QualityBelowFloor(_message.Message):
    __slots__ = ("profile_token", "width", "height", "fps", "min_width", "min_height", "min_fps")
    PROFILE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    MIN_WIDTH_FIELD_NUMBER: _ClassVar[int]
    MIN_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    MIN_FPS_FIELD_NUMBER: _ClassVar[int]
    profile_token: str
    width: int
    height: int
    fps: float
    min_width: int
    min_height: int
    min_fps: float
    def __init__(self, profile_token: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fps: _Optional[float] = ..., min_width: _Optional[int] = ..., min_height: _Optional[int] = ..., min_fps: _Optional[float] = ...) -> None: ...

class ClockDrift(_message.Message):
    __slots__ = ("drift_s", "threshold_s")
    DRIFT_S_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_S_FIELD_NUMBER: _ClassVar[int]
    drift_s: float
    threshold_s: float
    def __init__(self, drift_s: _Optional[float] = ..., threshold_s: _Optional[float] = ...) -> None: ...

class PtzPosition(_message.Message):
    __slots__ = ("pan", "tilt", "zoom")
    PAN_FIELD_NUMBER: _ClassVar[int]
    TILT_FIELD_NUMBER: _ClassVar[int]
    ZOOM_FIELD_NUMBER: _ClassVar[int]
    pan: float
    tilt: float
    zoom: float
    def __init__(self, pan: _Optional[float] = ..., tilt: _Optional[float] = ..., zoom: _Optional[float] = ...) -> None: ...

class PositionChanged(_message.Message):
    __slots__ = ("reason", "changes", "preset_token", "preset_position", "position", "offset", "tolerance", "polls", "since", "seconds", "threshold_s", "source")
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    PRESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRESET_POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    POLLS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_S_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    reason: PositionChangeReason
    changes: _containers.RepeatedScalarFieldContainer[str]
    preset_token: str
    preset_position: PtzPosition
    position: PtzPosition
    offset: float
    tolerance: float
    polls: int
    since: _timestamp_pb2.Timestamp
    seconds: float
    threshold_s: float
    source: str
    def __init__(self, reason: _Optional[_Union[PositionChangeReason, str]] = ..., changes: _Optional[_Iterable[str]] = ..., preset_token: _Optional[str] = ..., preset_position: _Optional[_Union[PtzPosition, _Mapping]] = ..., position: _Optional[_Union[PtzPosition, _Mapping]] = ..., offset: _Optional[float] = ..., tolerance: _Optional[float] = ..., polls: _Optional[int] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., seconds: _Optional[float] = ..., threshold_s: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class PositionRestored(_message.Message):
    __slots__ = ("preset_token", "position", "away_since")
    PRESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    AWAY_SINCE_FIELD_NUMBER: _ClassVar[int]
    preset_token: str
    position: PtzPosition
    away_since: _timestamp_pb2.Timestamp
    def __init__(self, preset_token: _Optional[str] = ..., position: _Optional[_Union[PtzPosition, _Mapping]] = ..., away_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeviceStateChange(_message.Message):
    __slots__ = ("meta", "device_id", "unit_id", "district", "articles", "went_offline", "came_back", "replaced", "configuration_changed", "quality_below_floor", "clock_drift", "position_changed", "position_restored")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    WENT_OFFLINE_FIELD_NUMBER: _ClassVar[int]
    CAME_BACK_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_CHANGED_FIELD_NUMBER: _ClassVar[int]
    QUALITY_BELOW_FLOOR_FIELD_NUMBER: _ClassVar[int]
    CLOCK_DRIFT_FIELD_NUMBER: _ClassVar[int]
    POSITION_CHANGED_FIELD_NUMBER: _ClassVar[int]
    POSITION_RESTORED_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device_id: str
    unit_id: str
    district: str
    articles: _containers.RepeatedScalarFieldContainer[str]
    went_offline: WentOffline
    came_back: CameBack
    replaced: Replaced
    configuration_changed: ConfigurationChanged
    quality_below_floor: QualityBelowFloor
    clock_drift: ClockDrift
    position_changed: PositionChanged
    position_restored: PositionRestored
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., district: _Optional[str] = ..., articles: _Optional[_Iterable[str]] = ..., went_offline: _Optional[_Union[WentOffline, _Mapping]] = ..., came_back: _Optional[_Union[CameBack, _Mapping]] = ..., replaced: _Optional[_Union[Replaced, _Mapping]] = ..., configuration_changed: _Optional[_Union[ConfigurationChanged, _Mapping]] = ..., quality_below_floor: _Optional[_Union[QualityBelowFloor, _Mapping]] = ..., clock_drift: _Optional[_Union[ClockDrift, _Mapping]] = ..., position_changed: _Optional[_Union[PositionChanged, _Mapping]] = ..., position_restored: _Optional[_Union[PositionRestored, _Mapping]] = ...) -> None: ...
