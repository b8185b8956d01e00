"""Encryption at rest for device credentials (AES-256-GCM).

The key comes from settings; ciphertexts carry a key id so that keys can be
rotated. Plaintexts never leave this module except to the caller that asked.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class CredentialCipher:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"credential key {kid!r} must be 32 bytes")
            if len(kid.encode()) > 32:
                raise ValueError("key ids are at most 32 bytes")
        if current not in keys:
            raise ValueError("the current key id has no key")
        self._keys = keys
        self._current = current

    @classmethod
    def from_base64(
        cls, key_b64: str, key_id: str = "k1", previous: dict[str, str] | None = None
    ) -> CredentialCipher:
        """The current key, and the keys it replaced (``previous``: id -> base64) that
        ciphertexts not yet sealed again still carry."""
        keys = {kid: base64.b64decode(b64) for kid, b64 in (previous or {}).items()}
        keys[key_id] = base64.b64decode(key_b64)
        return cls(keys, key_id)

    @property
    def current_key_id(self) -> str:
        return self._current

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        """The id of the key a ciphertext was sealed with."""
        return blob[2 : 2 + blob[1]].decode()

    def reseal(self, blob: bytes, associated: bytes = b"") -> bytes | None:
        """The ciphertext sealed again with the current key; None if it already is."""
        if self.key_id_of(blob) == self._current:
            return None
        return self.encrypt(self.decrypt(blob, associated), associated)

    def encrypt(self, plaintext: str, associated: bytes = b"") -> bytes:
        kid = self._current.encode()
        nonce = os.urandom(12)
        sealed = AESGCM(self._keys[self._current]).encrypt(nonce, plaintext.encode(), associated)
        return _VERSION + bytes([len(kid)]) + kid + nonce + sealed

    def decrypt(self, blob: bytes, associated: bytes = b"") -> str:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        klen = blob[1]
        kid = blob[2 : 2 + klen].decode()
        if kid not in self._keys:
            raise KeyError(
                f"no key {kid!r}: keep it among the previous keys until every ciphertext is resealed"
            )
        nonce = blob[2 + klen : 14 + klen]
        return AESGCM(self._keys[kid]).decrypt(nonce, blob[14 + klen :], associated).decode()


def generate_key_b64() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
