from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from jifang.downloads import DOWNLOAD_HEADERS_DOC, download_headers, safe_filename
from services.registry.change import change_conflicts
from services.registry.deps import (
    DocumentCheckDep,
    FilingReader,
    PolicyBookDep,
    SessionDep,
    StorageDep,
    TechOffice,
    UnitEditor,
    UploadDep,
)
from services.registry.examples import RECEIPT
from services.registry.filings.schemas import (
    ConfidentialReadOut,
    FilingCreate,
    FilingDue,
    FilingRead,
    FilingReturn,
)
from services.registry.filings.service import FilingService
from services.registry.storage import DOCUMENT_CONTENT

router = APIRouter(tags=["filings"])

# One path for a filing's materials, as OpenAPI allows no two templates of the same shape:
# a material is added under its code and read by its id.
MaterialCode = Annotated[
    str,
    Path(
        alias="material",
        max_length=50,
        description="The pack's material code (`filing.materials` of GET /api/v1/policy/{pack})",
        examples=["filing_form"],
    ),
]
MaterialId = Annotated[uuid.UUID, Path(alias="material", description="The material's id")]


@router.post(
    "/units/{unit_id}/filings",
    status_code=status.HTTP_201_CREATED,
    response_model=FilingRead,
    operation_id="filings.create",
    responses=change_conflicts(),
    summary="Start a filing (备案)",
)
async def create_filing(
    unit_id: uuid.UUID,
    body: FilingCreate,
    session: SessionDep,
    book: PolicyBookDep,
    principal: UnitEditor,
) -> FilingRead:
    """Start a filing (draft) of one or more systems of the unit; add materials, then submit.
    Under HRB art. 14 the unit files within 30 days of acceptance with the office of its security
    affiliation; under KMG art. 16 the design/construction firm files within 10 days of
    completion with the district office (`firm_name` required). The tech office or the unit's
    administrator; a draft changes no finding."""
    return await FilingService(session, book).create(principal, unit_id, body)


@router.get(
    "/units/{unit_id}/filings",
    response_model=list[FilingRead],
    operation_id="filings.list",
    summary="A unit's filings",
)
async def list_filings(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> list[FilingRead]:
    """Every filing of the unit with its materials (never their content), notice and receipt
    number. Filing materials are confidential (HRB art. 18): the tech office and the unit's own
    administrator only."""
    return await FilingService(session, book).list_for_unit(principal, unit_id)


@router.get(
    "/filings/due",
    response_model=list[FilingDue],
    operation_id="filings.due",
    summary="Systems whose filing falls due",
)
async def filings_due(
    session: SessionDep,
    book: PolicyBookDep,
    _: TechOffice,
    within_days: Annotated[int, Query(ge=0, le=366)] = 7,
) -> list[FilingDue]:
    """Systems not yet filed whose filing deadline (HRB art. 14: 30 days from acceptance; KMG
    art. 16: 10 days from completion) passes within the given days, overdue ones included, each
    citing the deadline's article. The tech office only."""
    return await FilingService(session, book).due(within_days)


@router.get(
    "/filings/{filing_id}", response_model=FilingRead, operation_id="filings.get", summary="One filing"
)
async def get_filing(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> FilingRead:
    """A filing: draft (with the pre-check's missing materials), submitted (before the office),
    returned (with the office's notice of all to supplement and the deadline, HRB art. 16 para.
    2), filed (accepted, with its receipt number, HRB art. 16 para. 1) or superseded by a later
    filing of the same systems (HRB art. 17). The tech office and
    the unit's own administrator only (HRB art. 18)."""
    return await FilingService(session, book).read(principal, filing_id)


@router.put(
    "/filings/{filing_id}/materials/{material}",
    response_model=FilingRead,
    operation_id="filings.put_material",
    summary="Add a material to a filing",
    openapi_extra={"requestBody": {"required": True, "content": DOCUMENT_CONTENT}},
    responses={
        **change_conflicts("the filing is submitted, filed or superseded: it takes no more materials"),
        413: {"description": "The material is over the size limit"},
        415: {"description": "Not a PDF, PNG or JPEG file, by its content"},
    },
)
async def upload_material(
    filing_id: uuid.UUID,
    code: MaterialCode,
    upload: UploadDep,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    documents: DocumentCheckDep,
    principal: UnitEditor,
) -> FilingRead:
    """Add one material as the raw body under the pack's material code: HRB art. 15 lists the
    filing form, the location diagram, the layout plan and the inspection report. The material
    must be what it says, by its content, not by what the client claims: a PDF that opens as one
    (not password-protected), a PNG or JPEG image that decodes (415 otherwise; 422 past the
    parse limits). Its `filename` is kept made safe (its last path component, without control
    or format characters, with the extension of its type). A filing that is draft or returned
    takes materials. The tech office or the unit's administrator; the material is kept in the
    registry's database, confidential (HRB art. 18)."""
    return await FilingService(session, book, storage).upload(principal, filing_id, code, upload, documents)


@router.post(
    "/filings/{filing_id}/submit",
    response_model=FilingRead,
    operation_id="filings.submit",
    summary="Submit a filing to the tech office",
    responses=change_conflicts("the filing is already submitted, filed or superseded"),
)
async def submit_filing(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: UnitEditor
) -> FilingRead:
    """A complete set of the pack's materials (HRB art. 15) puts the filing before the tech
    office: `submitted`. The platform's pre-check refuses an incomplete set at once (422 naming
    each missing material, `precheck_missing` shows it before); it does not decide the filing:
    "备案材料齐全，符合备案要求的，公安机关技防管理机构应当予以备案" (HRB art. 16) — the office
    accepts or returns it. A submitted filing answers for the filer's deadline (HRB art. 14 +
    28(2)) while the office decides. The tech office or the unit's administrator."""
    return await FilingService(session, book).submit(principal, filing_id)


@router.post(
    "/filings/{filing_id}/accept",
    response_model=FilingRead,
    operation_id="filings.accept",
    summary="Accept a filing (予以备案)",
    responses=change_conflicts("only a submitted filing can be accepted"),
)
async def accept_filing(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: TechOffice
) -> FilingRead:
    """The tech office accepts a submitted filing: `filed`, with a receipt number (备案回执单,
    HRB art. 16 para. 1), superseding earlier filings of the same systems (HRB art. 17). The tech
    office only; the unit's findings are recomputed."""
    return await FilingService(session, book).accept(principal, filing_id)


@router.post(
    "/filings/{filing_id}/return",
    response_model=FilingRead,
    operation_id="filings.return",
    summary="Return a filing with a notice to supplement (告知补正)",
    responses=change_conflicts("only a submitted filing can be returned"),
)
async def return_filing(
    filing_id: uuid.UUID,
    body: FilingReturn,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
) -> FilingRead:
    """The tech office returns a submitted filing: "备案材料不齐全或不符合备案要求的，公安机关技防
    管理机构应当告知其需要补正的全部材料，备案单位应当在10日内补正" (HRB art. 16 para. 2). The notice
    lists every material to supplement (default: those not uploaded) and anything else in the
    office's words; the 10 days run from today (Asia/Shanghai). The filer supplements and submits
    again; not submitted by then, the filing is a finding (HRB art. 16 para. 2 + 28(2)). The tech
    office only."""
    return await FilingService(session, book).return_(principal, filing_id, body)


@router.get(
    "/filings/{filing_id}/receipt",
    response_class=Response,
    operation_id="filings.receipt",
    summary="The filing's receipt (回执单)",
    responses={
        200: {
            "description": "The receipt (回执单), as a text file",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": RECEIPT}},
            "headers": DOWNLOAD_HEADERS_DOC,
        },
        409: {"description": "The filing is not filed: it has no receipt"},
    },
)
async def download_receipt(
    filing_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: FilingReader
) -> Response:
    """The receipt of a filed filing (HRB art. 16 para. 1): its number, the unit, the office,
    the date and the systems. The tech office and the unit's own administrator only."""
    number, text = await FilingService(session, book).receipt(principal, filing_id)
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers=download_headers(safe_filename(number, "text/plain", "receipt")),
    )


@router.get(
    "/filings/{filing_id}/materials/{material}",
    response_class=Response,
    operation_id="filings.get_material",
    summary="Download a material",
    responses={
        200: {
            "content": DOCUMENT_CONTENT,
            "description": "The material as it was uploaded, as an attachment",
            "headers": DOWNLOAD_HEADERS_DOC,
        }
    },
)
async def download_material(
    filing_id: uuid.UUID,
    material_id: MaterialId,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    principal: FilingReader,
) -> Response:
    """One material of the filing, as uploaded. Filing materials are confidential (HRB art.
    18): the tech office and the unit's own administrator only; every read is registered first
    (who, when, which: HRB art. 19 para. 1, KMG art. 18), listed by
    `GET /api/v1/units/{unit_id}/confidential-reads`."""
    material, data = await FilingService(session, book, storage).material(principal, filing_id, material_id)
    return Response(
        data,
        media_type=material.content_type,
        headers=download_headers(safe_filename(material.filename, material.content_type, material.code)),
    )


@router.get(
    "/units/{unit_id}/confidential-reads",
    response_model=list[ConfidentialReadOut],
    operation_id="filings.confidential_reads",
    summary="Who has read the unit's confidential materials",
)
async def confidential_reads(
    unit_id: uuid.UUID,
    session: SessionDep,
    book: PolicyBookDep,
    principal: TechOffice,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ConfidentialReadOut]:
    """Every read of the unit's filing materials (the location diagram, the layout plan...),
    newest first: who, with which roles, when, which material. "控制知密人员范围，对知密人员进行
    登记，存档备查" (HRB art. 19 para. 1; KMG art. 18): each read is registered in the reading
    request's own transaction, before the material is handed out. The tech office only."""
    return await FilingService(session, book).confidential_reads(principal, unit_id, limit)
