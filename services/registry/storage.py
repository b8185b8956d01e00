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

import hashlib
import uuid
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.errors import UnsupportedMediaType, ValidationFailed
from services.registry.examples import PDF
from services.registry.models import FilingMaterialBlob

# What a stored document may be, recognised by its first bytes, not by what the client claims.
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


def check_content(content_type: str, data: bytes, max_bytes: int) -> None:
    """A document's media type (by its content), and its size: 415 or 422 naming the rule."""
    base = content_type.split(";", maxsplit=1)[0].strip().lower()
    if base not in MAGIC:
        raise UnsupportedMediaType(f"documents must be one of {', '.join(MAGIC)}; got {base or 'none'}")
    if not data:
        raise ValidationFailed.single("body", "non-empty", "the document is empty")
    if len(data) > max_bytes:
        raise ValidationFailed.single("body", "max-size", f"a document may be at most {max_bytes} bytes")
    if not any(data.startswith(m) for m in MAGIC[base]):
        raise UnsupportedMediaType(f"the content is not a {base} file")


class MaterialStorage(Protocol):
    async def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes; return (storage key, sha256 hex)."""

    async def get(self, key: str) -> bytes: ...


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
