from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from services.registry.examples import IMPORT_REPORT, IMPORT_REPORT_REFUSED, examples


class ImportKind(StrEnum):
    UNITS = "units"
    PLACES = "places"
    DEVICES = "devices"


# The CSV header each kind expects (order free; unknown columns are refused).
COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.UNITS: (
        "name",
        "uscc",
        "address",
        "district",
        "is_business",
        "security_affiliation",
        "affiliation_district",
        "jurisdiction",
    ),
    ImportKind.PLACES: (
        "unit_uscc",
        "name",
        "kind",
        "category",
        "vehicle_category",
        "location_type",
        "description",
    ),
    ImportKind.DEVICES: (
        "unit_uscc",
        "kind",
        "name",
        "location_type",
        "onvif_address",
        "username",
        "password",
        "serial_number",
        "manufacturer",
        "model",
        "channel_no",
        "position_description",
        "latitude",
        "longitude",
    ),
}
REQUIRED: dict[ImportKind, frozenset[str]] = {
    ImportKind.UNITS: frozenset(
        {"name", "uscc", "address", "district", "is_business", "security_affiliation", "jurisdiction"}
    ),
    ImportKind.PLACES: frozenset({"unit_uscc", "name"}),
    ImportKind.DEVICES: frozenset({"unit_uscc", "kind", "name", "location_type"}),
}


class RowError(BaseModel):
    row: int  # 1-based data row (the header is row 0)
    field: str
    rule: str
    message: str


class ImportReport(BaseModel):
    model_config = ConfigDict(json_schema_extra=examples(IMPORT_REPORT, IMPORT_REPORT_REFUSED))

    kind: ImportKind
    rows: int
    imported: int
    failed: int
    errors: list[RowError]
