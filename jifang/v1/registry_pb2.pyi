import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from jifang.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegistryEvent(_message.Message):
    __slots__ = ("meta", "unit_id", "unit_changed", "place_changed", "system_changed", "device_changed", "device_removed", "device_replaced", "device_connectivity_changed", "finding_changed", "filing_changed", "inspection_recorded", "maintenance_window_changed")
    META_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_CHANGED_FIELD_NUMBER: _ClassVar[int]
    PLACE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CHANGED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_REMOVED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_REPLACED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_CONNECTIVITY_CHANGED_FIELD_NUMBER: _ClassVar[int]
    FINDING_CHANGED_FIELD_NUMBER: _ClassVar[int]
    FILING_CHANGED_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_RECORDED_FIELD_NUMBER: _ClassVar[int]
    MAINTENANCE_WINDOW_CHANGED_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    unit_id: str
    unit_changed: UnitChanged
    place_changed: PlaceChanged
    system_changed: SystemChanged
    device_changed: DeviceChanged
    device_removed: DeviceRemoved
    device_replaced: DeviceReplaced
    device_connectivity_changed: DeviceConnectivityChanged
    finding_changed: FindingChanged
    filing_changed: FilingChanged
    inspection_recorded: InspectionRecorded
    maintenance_window_changed: MaintenanceWindowChanged
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., unit_id: _Optional[str] = ..., unit_changed: _Optional[_Union[UnitChanged, _Mapping]] = ..., place_changed: _Optional[_Union[PlaceChanged, _Mapping]] = ..., system_changed: _Optional[_Union[SystemChanged, _Mapping]] = ..., device_changed: _Optional[_Union[DeviceChanged, _Mapping]] = ..., device_removed: _Optional[_Union[DeviceRemoved, _Mapping]] = ..., device_replaced: _Optional[_Union[DeviceReplaced, _Mapping]] = ..., device_connectivity_changed: _Optional[_Union[DeviceConnectivityChanged, _Mapping]] = ..., finding_changed: _Optional[_Union[FindingChanged, _Mapping]] = ..., filing_changed: _Optional[_Union[FilingChanged, _Mapping]] = ..., inspection_recorded: _Optional[_Union[InspectionRecorded, _Mapping]] = ..., maintenance_window_changed: _Optional[_Union[MaintenanceWindowChanged, _Mapping]] = ...) -> None: ...

class UnitChanged(_message.Message):
    __slots__ = ("name", "uscc", "district", "is_business", "security_affiliation", "filing_office", "jurisdiction", "closed", "closed_on")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USCC_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    IS_BUSINESS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_AFFILIATION_FIELD_NUMBER: _ClassVar[int]
    FILING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ON_FIELD_NUMBER: _ClassVar[int]
    name: str
    uscc: str
    district: str
    is_business: bool
    security_affiliation: str
    filing_office: str
    jurisdiction: str
    closed: bool
    closed_on: str
    def __init__(self, name: _Optional[str] = ..., uscc: _Optional[str] = ..., district: _Optional[str] = ..., is_business: _Optional[bool] = ..., security_affiliation: _Optional[str] = ..., filing_office: _Optional[str] = ..., jurisdiction: _Optional[str] = ..., closed: _Optional[bool] = ..., closed_on: _Optional[str] = ...) -> None: ...

class PlaceChanged(_message.Message):
    __slots__ = ("place_id", "name", "category", "kind", "location_type", "removed")
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    place_id: str
    name: str
    category: str
    kind: str
    location_type: str
    removed: bool
    def __init__(self, place_id: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., kind: _Optional[str] = ..., location_type: _Optional[str] = ..., removed: _Optional[bool] = ...) -> None: ...

class SystemChanged(_message.Message):
    __slots__ = ("system_id", "system_type", "name", "acceptance_date", "networking", "place_ids", "in_use", "removed", "recording")
    SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_DATE_FIELD_NUMBER: _ClassVar[int]
    NETWORKING_FIELD_NUMBER: _ClassVar[int]
    PLACE_IDS_FIELD_NUMBER: _ClassVar[int]
    IN_USE_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    system_id: str
    system_type: str
    name: str
    acceptance_date: str
    networking: str
    place_ids: _containers.RepeatedScalarFieldContainer[str]
    in_use: bool
    removed: bool
    recording: RecordingDeclaration
    def __init__(self, system_id: _Optional[str] = ..., system_type: _Optional[str] = ..., name: _Optional[str] = ..., acceptance_date: _Optional[str] = ..., networking: _Optional[str] = ..., place_ids: _Optional[_Iterable[str]] = ..., in_use: _Optional[bool] = ..., removed: _Optional[bool] = ..., recording: _Optional[_Union[RecordingDeclaration, _Mapping]] = ...) -> None: ...

class RecordingDeclaration(_message.Message):
    __slots__ = ("mode", "schedule")
    MODE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    mode: str
    schedule: _containers.RepeatedCompositeFieldContainer[ScheduleSlot]
    def __init__(self, mode: _Optional[str] = ..., schedule: _Optional[_Iterable[_Union[ScheduleSlot, _Mapping]]] = ...) -> None: ...

class ScheduleSlot(_message.Message):
    __slots__ = ("days", "start", "end")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedScalarFieldContainer[int]
    start: str
    end: str
    def __init__(self, days: _Optional[_Iterable[int]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class DeviceChanged(_message.Message):
    __slots__ = ("device_id", "kind", "name", "onvif_address", "serial_number", "parent_device_id", "channel_no", "location_type", "place_id", "system_id", "has_credentials", "status", "latitude", "longitude", "district", "recording", "ptz_preset")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ONVIF_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PARENT_DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NO_FIELD_NUMBER: _ClassVar[int]
    LOCATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    HAS_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    PTZ_PRESET_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    kind: str
    name: str
    onvif_address: str
    serial_number: str
    parent_device_id: str
    channel_no: int
    location_type: str
    place_id: str
    system_id: str
    has_credentials: bool
    status: str
    latitude: float
    longitude: float
    district: str
    recording: RecordingDeclaration
    ptz_preset: str
    def __init__(self, device_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., onvif_address: _Optional[str] = ..., serial_number: _Optional[str] = ..., parent_device_id: _Optional[str] = ..., channel_no: _Optional[int] = ..., location_type: _Optional[str] = ..., place_id: _Optional[str] = ..., system_id: _Optional[str] = ..., has_credentials: _Optional[bool] = ..., status: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., district: _Optional[str] = ..., recording: _Optional[_Union[RecordingDeclaration, _Mapping]] = ..., ptz_preset: _Optional[str] = ...) -> None: ...

class DeviceRemoved(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class DeviceReplaced(_message.Message):
    __slots__ = ("device_id", "old_serial_number", "new_serial_number", "articles")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NEW_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    old_serial_number: str
    new_serial_number: str
    articles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, device_id: _Optional[str] = ..., old_serial_number: _Optional[str] = ..., new_serial_number: _Optional[str] = ..., articles: _Optional[_Iterable[str]] = ...) -> None: ...

class DeviceConnectivityChanged(_message.Message):
    __slots__ = ("device_id", "status", "since", "last_heartbeat_at")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: str
    since: _timestamp_pb2.Timestamp
    last_heartbeat_at: _timestamp_pb2.Timestamp
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FindingChanged(_message.Message):
    __slots__ = ("finding_id", "rule", "status", "articles", "penalty", "subject_type", "subject_id", "detail", "rectification_deadline")
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ARTICLES_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    finding_id: str
    rule: str
    status: str
    articles: _containers.RepeatedScalarFieldContainer[str]
    penalty: str
    subject_type: str
    subject_id: str
    detail: str
    rectification_deadline: str
    def __init__(self, finding_id: _Optional[str] = ..., rule: _Optional[str] = ..., status: _Optional[str] = ..., articles: _Optional[_Iterable[str]] = ..., penalty: _Optional[str] = ..., subject_type: _Optional[str] = ..., subject_id: _Optional[str] = ..., detail: _Optional[str] = ..., rectification_deadline: _Optional[str] = ...) -> None: ...

class FilingChanged(_message.Message):
    __slots__ = ("filing_id", "status", "receipt_number", "missing_materials", "supplement_deadline", "system_ids", "materials")
    FILING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MISSING_MATERIALS_FIELD_NUMBER: _ClassVar[int]
    SUPPLEMENT_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_IDS_FIELD_NUMBER: _ClassVar[int]
    MATERIALS_FIELD_NUMBER: _ClassVar[int]
    filing_id: str
    status: str
    receipt_number: str
    missing_materials: _containers.RepeatedScalarFieldContainer[str]
    supplement_deadline: str
    system_ids: _containers.RepeatedScalarFieldContainer[str]
    materials: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, filing_id: _Optional[str] = ..., status: _Optional[str] = ..., receipt_number: _Optional[str] = ..., missing_materials: _Optional[_Iterable[str]] = ..., supplement_deadline: _Optional[str] = ..., system_ids: _Optional[_Iterable[str]] = ..., materials: _Optional[_Iterable[str]] = ...) -> None: ...

class InspectionRecorded(_message.Message):
    __slots__ = ("inspection_id", "system_id", "result", "inspected_on")
    INSPECTION_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    INSPECTED_ON_FIELD_NUMBER: _ClassVar[int]
    inspection_id: str
    system_id: str
    result: str
    inspected_on: str
    def __init__(self, inspection_id: _Optional[str] = ..., system_id: _Optional[str] = ..., result: _Optional[str] = ..., inspected_on: _Optional[str] = ...) -> None: ...

class MaintenanceWindowChanged(_message.Message):
    __slots__ = ("window_id", "device_ids", "starts_at", "ends_at", "cancelled")
    WINDOW_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_IDS_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    window_id: str
    device_ids: _containers.RepeatedScalarFieldContainer[str]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    cancelled: bool
    def __init__(self, window_id: _Optional[str] = ..., device_ids: _Optional[_Iterable[str]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancelled: _Optional[bool] = ...) -> None: ...
