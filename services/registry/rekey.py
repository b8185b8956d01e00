"""`python -m services.registry.rekey`: seal every device's credentials again with the current
key, after a rotation (`REGISTRY_CREDENTIALS_KEY` / `_KEY_ID` the new key,
`REGISTRY_CREDENTIALS_PREVIOUS_KEYS` the old ones). A batch per transaction, so a run that stops
half-way is run again; when it reports nothing left under another key, the previous keys can go.
The registry keeps serving throughout: it reads either key."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from jifang.db import create_engine, create_sessionmaker, session_scope
from jifang.secrets import CredentialCipher
from services.registry.clock import utc_now
from services.registry.devices.repository import DeviceRepository
from services.registry.settings import RegistrySettings

BATCH = 500


async def reseal_all(settings: RegistrySettings, cipher: CredentialCipher) -> Counter[str]:
    """Every device's credentials sealed with the current key; how many were resealed, and
    how many already were."""
    engine = create_engine(settings.database_url, 2, "registry-rekey")
    maker = create_sessionmaker(engine)
    counts: Counter[str] = Counter()
    after: uuid.UUID | None = None
    try:
        while True:
            async with session_scope(maker) as session:
                devices = await DeviceRepository(session).sealed_after(after, BATCH)
                for device in devices:
                    assert device.password_ciphertext is not None
                    sealed = cipher.reseal(device.password_ciphertext, associated=device.id.bytes)
                    if sealed is None:
                        counts["already"] += 1
                        continue
                    device.password_ciphertext = sealed
                    device.updated_at = utc_now()
                    counts["resealed"] += 1
            if len(devices) < BATCH:
                return counts
            after = devices[-1].id
    finally:
        await engine.dispose()


def main() -> None:
    settings = RegistrySettings()
    cipher = settings.credentials_cipher()
    counts = asyncio.run(reseal_all(settings, cipher))
    print(
        f"resealed {counts['resealed']} device credentials with key {cipher.current_key_id!r}; "
        f"{counts['already']} already were"
    )


if __name__ == "__main__":
    main()
