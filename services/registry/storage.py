"""Where filing materials are kept: behind an interface, in the registry's database.

In PostgreSQL the materials are where the rest of the registry's durable state is: every
replica serves every upload, the database's backups hold them, and a material is written in
the request's own transaction (an upload that fails leaves no bytes behind).

A material is held whole (bytea, read and written in one piece): at the upload limit
(``REGISTRY_MAX_MATERIAL_BYTES``, 20 MiB by default) a request holds one material in memory,
which the pods' memory allows. Materials far larger would want chunked rows or an object store
behind this same interface, and a streamed response.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import FilingMaterialBlob


class MaterialStorage(Protocol):
    async def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes; return (storage key, sha256 hex)."""

    async def get(self, key: str) -> bytes: ...


class DatabaseMaterialStorage:
    """Materials in ``registry.filing_material_blobs``, in the given session's transaction."""

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
