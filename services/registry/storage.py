"""Where documents are kept (filing materials, a unit's management rules): behind an interface,
in the registry's database.

In PostgreSQL the documents are where the rest of the registry's durable state is: every
replica serves every upload, the database's backups hold them, and a document is written in
the request's own transaction (an upload that fails leaves no bytes behind).

A material is held whole (bytea, read and written in one piece): at the upload limit
(``REGISTRY_MAX_MATERIAL_BYTES``, 20 MiB by default) a request holds one material in memory,
which the pods' memory allows. Materials far larger would want chunked rows or an object store
behind this same interface, and a streamed response.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import sys
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.downloads import safe_filename
from jifang.errors import DependencyUnavailable, UnsupportedMediaType, ValidationFailed
from services.registry import document_parser
from services.registry.examples import PDF
from services.registry.models import FilingMaterialBlob

# What a stored document may be, recognised by its content (first its first bytes, then a parse),
# not by what the client claims.
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}

# A document as it travels (an OpenAPI request or response body), each media type with an
# example (a PDF's is readable as text).
_EXAMPLES = {"application/pdf": PDF, "image/png": "<PNG image>", "image/jpeg": "<JPEG image>"}
DOCUMENT_CONTENT: dict[str, Any] = {
    ct: {"schema": {"type": "string", "format": "binary"}, "example": _EXAMPLES[ct]} for ct in MAGIC
}


@dataclass(frozen=True)
class DocumentLimits:
    """What a document may be and cost to open (settings ``REGISTRY_MAX_MATERIAL_BYTES``,
    ``REGISTRY_DOCUMENT_*``)."""

    max_bytes: int
    max_pdf_pages: int = 2000
    max_image_pixels: int = 64_000_000
    parse_timeout_s: float = 10.0
    parse_memory_bytes: int = 384 * 1024 * 1024
    parses_at_once: int = 1


class DocumentCheck:
    """A document's media type by its content: the first bytes, then a parse in a child
    process under hard limits (``services.registry.document_parser``), a few at a time."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.limits = limits
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, content_type: str, data: bytes) -> str:
        """The document's media type; 415 when the content is not of it, 422 naming the rule
        when it is empty, too large, password-protected or past the parse limits."""
        base = content_type.split(";", maxsplit=1)[0].strip().lower()
        if base not in MAGIC:
            raise UnsupportedMediaType(f"documents must be one of {', '.join(MAGIC)}; got {base or 'none'}")
        if not data:
            raise ValidationFailed.single("body", "non-empty", "the document is empty")
        if len(data) > self.limits.max_bytes:
            raise ValidationFailed.single(
                "body", "max-size", f"a document may be at most {self.limits.max_bytes} bytes"
            )
        if not any(data.startswith(m) for m in MAGIC[base]):
            raise UnsupportedMediaType(f"the content is not a {base} file")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.parses_at_once)
        async with self._slots:
            rule, reason = await self._parse(base, data)
        if rule == document_parser.NOT_THE_TYPE:
            raise UnsupportedMediaType(f"{reason} ({base})")
        if rule is not None:
            raise ValidationFailed.single("body", rule, reason)
        return base

    async def _parse(self, media_type: str, data: bytes) -> tuple[str | None, str]:
        limits = self.limits
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                document_parser.__name__,
                media_type,
                str(limits.max_pdf_pages),
                str(limits.max_image_pixels),
                str(limits.parse_memory_bytes),
                str(math.ceil(limits.parse_timeout_s)),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:  # no process left to start (the pod's limits): retry later
            raise DependencyUnavailable("documents cannot be checked now: try again shortly") from exc
        try:
            out, _ = await asyncio.wait_for(proc.communicate(data), limits.parse_timeout_s)
        except TimeoutError:
            return document_parser.TOO_LARGE, f"the document did not open within {limits.parse_timeout_s} s"
        finally:
            if proc.returncode is None:  # past its time, or the request was cancelled
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        try:
            answer = json.loads(out)
            return answer["rule"], str(answer["reason"])
        except (ValueError, KeyError, TypeError):
            # Killed by its CPU or memory limit before it could answer.
            return document_parser.TOO_LARGE, "the document could not be opened within the parse limits"


class MaterialStorage(Protocol):
    async def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes; return (storage key, sha256 hex)."""

    async def get(self, key: str) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    """A document as a request sends it: the raw body, the type it claims, the name it gives."""

    data: bytes
    content_type: str
    filename: str | None


@dataclass(frozen=True)
class StoredDocument:
    """What a document's row holds of it (filing materials and management rules alike)."""

    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)


async def keep_document(
    storage: MaterialStorage, documents: DocumentCheck, upload: Upload, name: str
) -> StoredDocument:
    """The document checked by its content and stored, in the caller's transaction; its file
    name made safe (``name`` where it gave none)."""
    media_type = await documents(upload.content_type, upload.data)
    key, digest = await storage.put(upload.data)
    return StoredDocument(
        filename=safe_filename(upload.filename or name, media_type, name),
        content_type=media_type,
        size_bytes=len(upload.data),
        sha256=digest,
        storage_key=key,
    )


class DatabaseMaterialStorage:
    """Documents in ``registry.filing_material_blobs`` (filing materials and management rules
    alike, each under a key of its own), in the given session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, data: bytes) -> tuple[str, str]:
        key = str(uuid.uuid4())
        # Core, not the ORM: the session's identity map would keep the bytes until it closes.
        try:
            await self.session.execute(insert(FilingMaterialBlob).values(key=key, content=data))
        except StatementError as e:
            # SQLAlchemy quotes a failed statement's parameters in its message, which is logged:
            # never the material's bytes (confidential, HRB art. 18).
            e.hide_parameters = True
            raise
        return key, hashlib.sha256(data).hexdigest()

    async def get(self, key: str) -> bytes:
        content = await self.session.scalar(
            select(FilingMaterialBlob.content).where(FilingMaterialBlob.key == key)
        )
        if content is None:
            raise LookupError(f"no stored material under the key {key}")
        return content
