"""Reading the use register: who sees what, the filters, the export for the annual inspection.

The auditor and the tech office read everything. A unit administrator sees the uses of its
own unit's cameras: when, by which bureau, live or playback, granted or refused; not the
officer, purpose, case number or destination (those belong to the police's case)."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.csv_export import SafeCsvWriter
from jifang.errors import FieldError, Forbidden
from services.gateway.models import UseRecord
from services.gateway.register import RegisterFilter, UseRegister
from services.gateway.schemas import UsePage, UseRead

UNIT_VIEW = (
    "seq",
    "recorded_at",
    "bureau",
    "camera_id",
    "unit_id",
    "mode",
    "range_from",
    "range_to",
    "outcome",
)
EXPORT_COLUMNS = tuple(UseRead.model_fields)


# The filters on what the unit's view hides: matching on them would confirm a hidden value.
HIDDEN_FILTERS = ("officer", "case_number")


def scoped(principal: Principal, filters: RegisterFilter) -> RegisterFilter:
    if not principal.is_unit_scoped:
        return filters
    if filters.unit_id is not None and filters.unit_id != principal.unit_id:
        raise Forbidden("A unit administrator sees the uses of its own unit's cameras only")
    hidden = [name for name in HIDDEN_FILTERS if getattr(filters, name) is not None]
    if hidden:
        raise Forbidden(
            f"A unit administrator cannot filter the register on what its view hides: {', '.join(hidden)}",
            [FieldError(name, "hidden-from-unit-view", f"{name} is not in a unit's view") for name in hidden],
        )
    return RegisterFilter(**{**filters.__dict__, "unit_id": principal.unit_id})


def to_read(record: UseRecord, principal: Principal) -> UseRead:
    if principal.is_unit_scoped:
        return UseRead(**{k: getattr(record, k) for k in UNIT_VIEW}, view="unit")
    return UseRead.model_validate(record)


async def page(
    session: AsyncSession, principal: Principal, filters: RegisterFilter, limit: int, offset: int
) -> UsePage:
    rows, total = await UseRegister(session).search(scoped(principal, filters), limit, offset)
    return UsePage(items=[to_read(r, principal) for r in rows], total=total, limit=limit, offset=offset)


async def export(session: AsyncSession, filters: RegisterFilter, fmt: str) -> AsyncIterator[str]:
    """The matching records in register order, as CSV (with a header) or a JSON array. In the
    CSV, a text cell that a spreadsheet would run as a formula (a purpose beginning with `=`)
    begins with a single quote (``jifang.csv_export``); the JSON holds every value as recorded,
    which is what the records' hashes are computed over."""
    records = UseRegister(session).stream(filters)
    if fmt == "csv":
        buf = io.StringIO()
        writer = SafeCsvWriter(buf)
        writer.writerow(EXPORT_COLUMNS)
        async for r in records:
            read = UseRead.model_validate(r)
            writer.writerow(getattr(read, c) for c in EXPORT_COLUMNS)
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
        return
    first = True
    yield "["
    async for r in records:
        yield ("" if first else ",") + json.dumps(
            UseRead.model_validate(r).model_dump(mode="json"), ensure_ascii=False
        )
        first = False
    yield "]"
