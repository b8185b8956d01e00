"""Issue 14: "how a deployment rotates keys (JWT, grant secret, credentials key)". Device
passwords are sealed at rest with the current credentials key; a rotation makes a new key
current, keeps the old one among the previous keys while `python -m services.registry.rekey`
seals every password again, and then drops it. Nothing is unreadable at any step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
from pydantic import SecretStr

from devtools.db import asyncpg_url
from jifang.auth import Role
from jifang.migrate import upgrade_async
from jifang.secrets import CredentialCipher, generate_key_b64
from services.registry.app import ALEMBIC_INI, create_app
from services.registry.rekey import reseal_all
from services.registry.settings import RegistrySettings
from tests.conftest import AUDIENCE, ISSUER, TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit

OLD, NEW = generate_key_b64(), generate_key_b64()


def _settings(
    url: str, bootstrap: str, public_key: str, key: str, key_id: str, **previous: str
) -> RegistrySettings:
    return RegistrySettings(
        database_url=url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=public_key,
        jwt_public_key_file=None,
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        credentials_key=SecretStr(key),
        credentials_key_file=None,
        credentials_key_id=key_id,
        credentials_previous_keys={kid: SecretStr(k) for kid, k in previous.items()},
    )


@asynccontextmanager
async def _registry(settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, run_loops=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry") as client,
    ):
        yield client


async def _password(client: httpx.AsyncClient, token: TokenFactory, device_id: str) -> str:
    r = await client.get(
        f"/api/v1/internal/devices/{device_id}/credentials", headers=auth(token(Role.SERVICE))
    )
    assert r.status_code == 200, r.text
    password: str = r.json()["password"]
    return password


async def _key_ids(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        rows = await conn.fetch(
            "SELECT id, password_ciphertext FROM registry.devices WHERE password_ciphertext IS NOT NULL"
        )
    finally:
        await conn.close()
    return {str(r["id"]): CredentialCipher.key_id_of(r["password_ciphertext"]) for r in rows}


async def test_the_credentials_key_rotates_without_an_unreadable_moment(
    scratch_database_url: str, bootstrap: str, signing_keys: tuple[str, str], token: TokenFactory
) -> None:
    url = scratch_database_url
    await upgrade_async(ALEMBIC_INI, url)
    tech = auth(token(Role.TECH_OFFICE))
    before = _settings(url, bootstrap, signing_keys[1], OLD, "2025a")
    async with _registry(before) as registry:
        unit = await create_unit(registry, tech)
        old = await create_device(registry, tech, unit["id"], username="admin", password="旧钥匙下的密码-1")
    # The new key is current; the old one is kept for what it sealed.
    during = _settings(url, bootstrap, signing_keys[1], NEW, "2026b", **{"2025a": OLD})
    async with _registry(during) as registry:
        assert await _password(registry, token, old["id"]) == "旧钥匙下的密码-1"
        new = await create_device(registry, tech, unit["id"], username="admin", password="新钥匙下的密码-2")
    assert await _key_ids(url) == {old["id"]: "2025a", new["id"]: "2026b"}
    counts = await reseal_all(during, during.credentials_cipher())
    assert (counts["resealed"], counts["already"]) == (1, 1)
    assert await _key_ids(url) == {old["id"]: "2026b", new["id"]: "2026b"}
    assert (await reseal_all(during, during.credentials_cipher()))[
        "resealed"
    ] == 0  # run again: nothing to do
    # The old key gone: everything still reads.
    after = _settings(url, bootstrap, signing_keys[1], NEW, "2026b")
    async with _registry(after) as registry:
        assert await _password(registry, token, old["id"]) == "旧钥匙下的密码-1"
        assert await _password(registry, token, new["id"]) == "新钥匙下的密码-2"
