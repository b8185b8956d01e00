"""Request dependencies of the registry, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal, Role, require
from jifang.http import request_transaction
from jifang.policy import PolicyBook
from jifang.secrets import CredentialCipher
from services.registry.settings import RegistrySettings
from services.registry.storage import DatabaseMaterialStorage, DocumentCheck, MaterialStorage, Upload

SessionDep = Annotated[AsyncSession, request_transaction(lambda request: request.app.state.sessionmaker)]


def get_policy_book(request: Request) -> PolicyBook:
    """The packs as loaded. What the tech office added to the forbidden lists (ruling 5) is read
    where a rule needs it, in the request's transaction (``applied_book``): a dependency that
    needed the database would answer bad input with 503 while the database is down."""
    book: PolicyBook = request.app.state.policy_book
    return book


def get_cipher(request: Request) -> CredentialCipher:
    cipher: CredentialCipher = request.app.state.cipher
    return cipher


def get_storage(session: SessionDep) -> MaterialStorage:
    """Materials are written in the request's own transaction (the endpoint's session: FastAPI
    resolves a dependency once per request)."""
    return DatabaseMaterialStorage(session)


def get_document_check(request: Request) -> DocumentCheck:
    """What an uploaded document must be (parsed under limits, a few at a time per replica)."""
    documents: DocumentCheck = request.app.state.documents
    return documents


def get_settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


PolicyBookDep = Annotated[PolicyBook, Depends(get_policy_book)]
CipherDep = Annotated[CredentialCipher, Depends(get_cipher)]
StorageDep = Annotated[MaterialStorage, Depends(get_storage)]
SettingsDep = Annotated[RegistrySettings, Depends(get_settings)]
DocumentCheckDep = Annotated[DocumentCheck, Depends(get_document_check)]


async def read_upload(
    request: Request,
    filename: Annotated[
        str | None,
        Query(max_length=255, description="The file's name, kept made safe", examples=["备案表.pdf"]),
    ] = None,
) -> Upload:
    """A document sent as the raw body, with the type its Content-Type claims."""
    return Upload(await request.body(), request.headers.get("content-type", ""), filename)


UploadDep = Annotated[Upload, Depends(read_upload)]

_POLICE = (Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR)

# Who may call what (every route uses one of these).
TechOffice = Annotated[Principal, require(Role.TECH_OFFICE)]
UnitEditor = Annotated[Principal, require(Role.TECH_OFFICE, Role.UNIT_ADMIN)]
# What only the unit itself declares (a maintenance window is the unit's cause, given beforehand).
UnitAdmin = Annotated[Principal, require(Role.UNIT_ADMIN)]
UnitReader = Annotated[
    Principal,
    require(Role.TECH_OFFICE, Role.UNIT_ADMIN, Role.AUDITOR, Role.SERVICE, *_POLICE),
]
FindingReader = Annotated[
    Principal, require(Role.TECH_OFFICE, Role.UNIT_ADMIN, Role.AUDITOR, Role.POLICE_SUPERVISOR)
]
# Filing materials are confidential (HRB art. 18): only the unit and the tech office.
FilingReader = Annotated[Principal, require(Role.TECH_OFFICE, Role.UNIT_ADMIN)]
InspectionReader = Annotated[Principal, require(Role.TECH_OFFICE, Role.UNIT_ADMIN, Role.AUDITOR)]
NvrDevice = Annotated[Principal, require(Role.NVR)]
InternalService = Annotated[Principal, require(Role.SERVICE)]
