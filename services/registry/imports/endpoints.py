from __future__ import annotations

from fastapi import APIRouter, Request

from jifang.errors import UnsupportedMediaType, ValidationFailed
from services.registry.deps import CipherDep, PolicyBookDep, SessionDep, TechOffice
from services.registry.imports.schemas import ImportKind, ImportReport
from services.registry.imports.service import ImportService

router = APIRouter(tags=["bulk import"])


@router.post(
    "/imports/{kind}",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
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
    """Import rows from a UTF-8 CSV body; the report lists every refused row with its field
    and rule. Good rows are imported whatever the bad ones."""
    if not request.headers.get("content-type", "").startswith("text/csv"):
        raise UnsupportedMediaType("send the rows as text/csv")
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.single("body", "utf-8", "the CSV must be UTF-8") from exc
    return await ImportService(session, book, cipher).run(kind, text)
