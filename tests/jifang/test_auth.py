"""Token verification: asymmetric signatures from a key or a JWKS URL; claims checked."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from jifang.auth import Role, TokenVerifier, generate_signing_key, issue_token
from jifang.errors import Unauthenticated

PRIV, PUB = generate_signing_key()


def verifier(**kw: object) -> TokenVerifier:
    return TokenVerifier(audience="jifang", issuer="t", **kw)  # type: ignore[arg-type]


def tok(**kw: object) -> str:
    args: dict[str, object] = {"subject": "s", "roles": [Role.AUDITOR], "audience": "jifang", "issuer": "t"}
    args.update(kw)
    return issue_token(PRIV, **args)  # type: ignore[arg-type]


async def test_valid_token_gives_the_principal() -> None:
    p = await verifier(public_key_pem=PUB).verify(
        tok(roles=[Role.POLICE_OPERATOR], badge_number="230101", bureau="南岗分局")
    )
    assert p.roles == {Role.POLICE_OPERATOR} and p.badge_number == "230101" and p.bureau == "南岗分局"


@pytest.mark.parametrize(
    "token_kw",
    [
        {"lifetime": timedelta(seconds=-5)},  # expired
        {"audience": "someone-else"},
        {"issuer": "evil"},
        {"roles": [Role.UNIT_ADMIN]},  # a unit admin must name its unit
        {"roles": [Role.POLICE_OPERATOR]},  # police must carry badge and bureau
    ],
)
async def test_refused_tokens(token_kw: dict[str, object]) -> None:
    with pytest.raises(Unauthenticated):
        await verifier(public_key_pem=PUB).verify(tok(**token_kw))


async def test_another_key_and_symmetric_tokens_are_refused() -> None:
    other_priv, _ = generate_signing_key()
    forged = issue_token(other_priv, subject="s", roles=[Role.AUDITOR], audience="jifang", issuer="t")
    with pytest.raises(Unauthenticated):
        await verifier(public_key_pem=PUB).verify(forged)
    hs = jwt.encode(
        {"sub": "s", "roles": ["auditor"], "aud": "jifang", "iss": "t", "exp": 2**33},
        "a-shared-secret-of-32-bytes-len!",
        "HS256",
    )
    with pytest.raises(Unauthenticated):
        await verifier(public_key_pem=PUB).verify(hs)


@pytest.fixture
def jwks_url() -> Iterator[str]:
    key = serialization.load_pem_public_key(PUB.encode())
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key))  # type: ignore[arg-type]
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "EdDSA"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


async def test_keys_from_a_jwks_url(jwks_url: str) -> None:
    token = jwt.encode(
        {"sub": "s", "roles": ["service"], "aud": "jifang", "iss": "t", "exp": 2**33},
        serialization.load_pem_private_key(PRIV.encode(), None),  # type: ignore[arg-type]
        algorithm="EdDSA",
        headers={"kid": "k1"},
    )
    p = await verifier(jwks_url=jwks_url).verify(token)
    assert p.roles == {Role.SERVICE}
    await asyncio.sleep(0)


async def test_a_verified_token_is_remembered_until_its_expiry_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signature is checked once per token and minute, never past the token's expiry; a
    token differing in one character is verified anew (and refused)."""
    v = verifier(public_key_pem=PUB)
    token = tok(lifetime=timedelta(seconds=30))
    checked: list[str] = []
    verify_once = v._verify

    async def counting(t: str) -> Any:
        checked.append(t)
        return await verify_once(t)

    monkeypatch.setattr(v, "_verify", counting)
    first = await v.verify(token)
    assert await v.verify(token) == first and len(checked) == 1
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(Unauthenticated):
        await v.verify(tampered)
    assert len(checked) == 2
    clock = time.time()
    monkeypatch.setattr(time, "time", lambda: clock + 31)  # past the token's expiry
    await v.verify(token)  # not from memory: verified again (refusing it is the verifier's)
    assert checked == [token, tampered, token]


@pytest.mark.parametrize(
    "roles",
    [
        [Role.UNIT_ADMIN, Role.POLICE_OPERATOR],
        [Role.UNIT_ADMIN, Role.TECH_OFFICE],
        [Role.UNIT_ADMIN, Role.NVR],
        [Role.NVR, Role.SERVICE],
        [Role.NVR, Role.AUDITOR],
    ],
)
async def test_a_bound_role_is_never_combined(roles: list[Role]) -> None:
    """A unit administrator's token is bound to its unit, a recorder's to itself: with another
    role the other role's reach would carry past the binding (issue 14, item 2)."""
    token = tok(roles=roles, unit_id="00000000-0000-4000-8000-000000000001", badge_number="1", bureau="b")
    with pytest.raises(Unauthenticated, match="never combined with another role"):
        await verifier(public_key_pem=PUB).verify(token)


async def test_roles_of_other_systems_do_not_count_as_a_combination() -> None:
    unit = "00000000-0000-4000-8000-000000000001"
    p = await verifier(public_key_pem=PUB).verify(tok(roles=["unit_admin", "hr_viewer"], unit_id=unit))
    assert p.roles == {Role.UNIT_ADMIN} and p.is_unit_scoped


def _pem(key: Any) -> tuple[Any, str]:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, public.decode()


CLAIMS = {"sub": "s", "roles": ["auditor"], "aud": "jifang", "iss": "t", "exp": 2**33}


@pytest.mark.parametrize(
    ("key", "algorithm", "others"),
    [
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "RS256",
            ["ES256", "EdDSA", "PS256"],
        ),
        (ec.generate_private_key(ec.SECP256R1()), "ES256", ["RS256", "EdDSA", "ES384"]),
    ],
)
async def test_a_key_verifies_its_own_algorithm_only(key: Any, algorithm: str, others: list[str]) -> None:
    """A header naming another algorithm than the key's is an invalid token (401), never an
    error of the library (it was a 500 on every service, issue 14 item 4)."""
    private, public = _pem(key)
    v = verifier(public_key_pem=public)
    assert (await v.verify(jwt.encode(CLAIMS, private, algorithm=algorithm))).roles == {Role.AUDITOR}
    _, payload, signature = jwt.encode(CLAIMS, private, algorithm=algorithm).split(".")
    for other in others:
        forged_header = jwt.utils.base64url_encode(json.dumps({"alg": other, "typ": "JWT"}).encode()).decode()
        with pytest.raises(Unauthenticated, match="Invalid token"):
            await v.verify(f"{forged_header}.{payload}.{signature}")


def test_a_key_of_no_supported_algorithm_is_refused_at_start() -> None:
    _, public = _pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="P-256"):
        verifier(public_key_pem=public)


@pytest.mark.parametrize(
    "claims",
    [
        {"badge": "HRB\x00001"},
        {"badge": "9" * 51},
        {"bureau": ["哈尔滨市公安局"]},
        {"bureau": "哈尔滨\ud800"},
        {"jurisdiction": 2008},
        {"district": "南岗区", "jurisdiction": None},  # a district of no jurisdiction
        {"sub": ""},
    ],
)
async def test_claims_the_register_cannot_hold_are_an_invalid_token(claims: dict[str, Any]) -> None:
    """The officer's subject, badge and bureau go into the use register: text of its columns'
    length without control characters, or the token is invalid (401), never a register failure."""
    police = {
        "sub": "s",
        "roles": ["police_operator"],
        "badge": "1",
        "bureau": "b",
        "jurisdiction": "harbin-2008",
    }
    token = jwt.encode(
        {**police, "aud": "jifang", "iss": "t", "exp": 2**33, **claims},
        serialization.load_pem_private_key(PRIV.encode(), None),  # type: ignore[arg-type]
        algorithm="EdDSA",
    )
    with pytest.raises(Unauthenticated, match="Invalid token"):
        await verifier(public_key_pem=PUB).verify(token)


async def test_an_officers_jurisdiction_and_district() -> None:
    p = await verifier(public_key_pem=PUB).verify(
        tok(
            roles=[Role.POLICE_OPERATOR],
            badge_number="1",
            bureau="南岗分局",
            jurisdiction="harbin-2008",
            district="南岗区",
        )
    )
    assert (p.jurisdiction, p.district) == ("harbin-2008", "南岗区")
