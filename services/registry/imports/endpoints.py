from __future__ import annotations

from fastapi import APIRouter, Request

from jifang.errors import UnsupportedMediaType, ValidationFailed
from services.registry.deps import CipherDep, PolicyBookDep, SessionDep, TechOffice
from services.registry.examples import UNITS_CSV
from services.registry.imports.schemas import ImportKind, ImportReport
from services.registry.imports.service import ImportService

router = APIRouter(tags=["imports"])


@router.post(
    "/imports/{kind}",
    response_model=ImportReport,
    operation_id="imports.run",
    summary="Import units, places or devices from CSV",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": UNITS_CSV}},
        }
    },
    responses={
        409: {"description": "A concurrent request registered one of the rows' codes first: import again"},
        413: {"description": "The CSV is over the import limit"},
        415: {"description": "The body is not text/csv"},
    },
)
async def import_csv(
    kind: ImportKind,
    request: Request,
    session: SessionDep,
    book: PolicyBookDep,
    cipher: CipherDep,
    _: TechOffice,
) -> ImportReport:
    """The tech office imports rows from a UTF-8 CSV body with a header row (columns in any
    order; an unknown or missing column is 422). Each row is validated like the API request
    that creates it, the forbidden-place rule included (HRB art. 19 para. 2, KMG art. 7); places
    and devices name their unit by its unified social credit code. The report lists every
    refused row with its field and rule; good rows are imported whatever the bad ones."""
    if not request.headers.get("content-type", "").startswith("text/csv"):
        raise UnsupportedMediaType("send the rows as text/csv")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.single("body", "utf-8", "the CSV must be UTF-8") from exc
    return await ImportService(session, book, cipher).run(kind, text)
