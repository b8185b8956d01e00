import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from jifang.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetentionChecked(_message.Message):
    __slots__ = ("meta", "unit_id", "recorder_id", "recording_token", "camera_id", "district", "category", "checked_at", "verdict", "reason", "required_days", "requirement_source", "retained_days", "due_date", "findings", "gaps", "recording_status", "configured_retention_days")
    META_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_DAYS_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    RETAINED_DAYS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    RECORDING_STATUS_FIELD_NUMBER: _ClassVar[int]
    CONFIGURED_RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    unit_id: str
    recorder_id: str
    recording_token: str
    camera_id: str
    district: str
    category: str
    checked_at: _timestamp_pb2.Timestamp
    verdict: str
    reason: str
    required_days: int
    requirement_source: str
    retained_days: float
    due_date: str
    findings: _containers.RepeatedCompositeFieldContainer[RetentionFinding]
    gaps: _containers.RepeatedCompositeFieldContainer[FootageGap]
    recording_status: str
    configured_retention_days: float
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., unit_id: _Optional[str] = ..., recorder_id: _Optional[str] = ..., recording_token: _Optional[str] = ..., camera_id: _Optional[str] = ..., district: _Optional[str] = ..., category: _Optional[str] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verdict: _Optional[str] = ..., reason: _Optional[str] = ..., required_days: _Optional[int] = ..., requirement_source: _Optional[str] = ..., retained_days: _Optional[float] = ..., due_date: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[RetentionFinding, _Mapping]]] = ..., gaps: _Optional[_Iterable[_Union[FootageGap, _Mapping]]] = ..., recording_status: _Optional[str] = ..., configured_retention_days: _Optional[float] = ...) -> None: ...

class RetentionFinding(_message.Message):
    __slots__ = ("rule", "kind", "articles", "penalty", "detail")
    RULE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    rule: str
    kind: str
    articles: _containers.RepeatedScalarFieldContainer[str]
    penalty: str
    detail: str
    def __init__(self, rule: _Optional[str] = ..., kind: _Optional[str] = ..., articles: _Optional[_Iterable[str]] = ..., penalty: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class FootageGap(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
