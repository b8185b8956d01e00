"""Where filing materials are kept: behind an interface, a filesystem by default."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol


class MaterialStorage(Protocol):
    async def put(self, data: bytes) -> tuple[str, str]:
        """Store bytes; return (storage key, sha256 hex)."""

    async def get(self, key: str) -> bytes: ...


class FilesystemStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    async def put(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{uuid.uuid4().hex}"
        path = self.root / key
        path.parent.mkdir(exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return key, digest

    async def get(self, key: str) -> bytes:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise FileNotFoundError(key)
        return path.read_bytes()
