from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from jifang.downloads import DOWNLOAD_HEADERS_DOC, download_headers, safe_filename
from jifang.policy import ManagementRuleKind
from services.registry.change import change_conflicts
from services.registry.deps import (
    DocumentCheckDep,
    InspectionReader,
    PolicyBookDep,
    SessionDep,
    StorageDep,
    UnitEditor,
    UploadDep,
)
from services.registry.management_rules.schemas import ManagementRuleRead, ManagementRulesRead
from services.registry.management_rules.service import ManagementRuleService
from services.registry.storage import DOCUMENT_CONTENT

router = APIRouter(tags=["management rules"])

RuleKind = Annotated[
    ManagementRuleKind,
    Path(
        description="The kind of rule: one the unit's pack asks for (`management_rules` of "
        "GET /api/v1/policy/{pack}); another is refused with 422 naming `path.kind`",
        examples=["emergency"],
    ),
]


@router.get(
    "/units/{unit_id}/management-rules",
    response_model=ManagementRulesRead,
    operation_id="management_rules.list",
    summary="A unit's management rules on file",
)
async def list_management_rules(
    unit_id: uuid.UUID, session: SessionDep, book: PolicyBookDep, principal: InspectionReader
) -> ManagementRulesRead:
    """Every management rule (管理制度) the unit's pack asks for, each with its article, the
    document on file (filename, size, sha256, who uploaded it and when) and the versions it
    replaced, and the rules missing. Harbin, HRB art. 20: "（一）对技防系统操作人员、管理人员进行
    岗位技能和保密知识的培训；（二）建立安全检查、维护保养、应急处理等制度；（三）建立值班监看、资料管理、
    图像信息使用登记等制度". Kunming, KMG art. 20(1)(2)(4) (training; daily inspection, security
    management and maintenance; emergency) and art. 21(1)(2) (duty monitoring, materials; the
    register of uses). Read by the tech office, auditors and the unit's own administrator."""
    return await ManagementRuleService(session, book).list(principal, unit_id)


@router.put(
    "/units/{unit_id}/management-rules/{kind}",
    response_model=ManagementRuleRead,
    operation_id="management_rules.put",
    summary="Put a management rule on file",
    openapi_extra={"requestBody": {"required": True, "content": DOCUMENT_CONTENT}},
    responses={
        **change_conflicts(),
        413: {"description": "The document is over the size limit"},
        415: {"description": "Not a PDF, PNG or JPEG file, by its content"},
    },
)
async def put_management_rule(
    unit_id: uuid.UUID,
    kind: RuleKind,
    upload: UploadDep,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    documents: DocumentCheckDep,
    principal: UnitEditor,
) -> ManagementRuleRead:
    """The unit's document of one rule, as the raw body: a PDF that opens as one, a PNG or JPEG
    image that decodes (by its content, not by what the client claims: 415 otherwise, 422 past
    the parse limits), its `filename` kept made safe. A new version replaces the current one,
    which is kept with who uploaded it and when. A rule an inspection found missing or
    inadequate is corrected by a document uploaded after it: the unit's case
    (`management_rules_missing`) ends when every one is, as `rectified`, or `corrected_late`
    past the deadline it was ordered corrected by. The tech office or the unit's own
    administrator."""
    return await ManagementRuleService(session, book, storage).upload(
        principal, unit_id, kind, upload, documents
    )


@router.get(
    "/units/{unit_id}/management-rules/{kind}/content",
    response_class=Response,
    operation_id="management_rules.content",
    summary="Download a management rule",
    responses={
        200: {
            "content": DOCUMENT_CONTENT,
            "description": "The current version, as uploaded, as an attachment",
            "headers": DOWNLOAD_HEADERS_DOC,
        }
    },
)
async def download_management_rule(
    unit_id: uuid.UUID,
    kind: RuleKind,
    session: SessionDep,
    book: PolicyBookDep,
    storage: StorageDep,
    principal: InspectionReader,
) -> Response:
    """The current version of one of the unit's rules, as uploaded (404 when none is on file).
    Read by the tech office, auditors and the unit's own administrator."""
    document, data = await ManagementRuleService(session, book, storage).content(principal, unit_id, kind)
    return Response(
        data,
        media_type=document.content_type,
        headers=download_headers(safe_filename(document.filename, document.content_type, kind.value)),
    )
