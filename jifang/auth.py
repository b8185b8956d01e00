"""Bearer JWT authentication and per-route role declarations.

Tokens are signed asymmetrically (Ed25519, ECDSA or RSA); services hold only
the public key (from settings) or fetch it from a JWKS URL. Every route
declares who may call it with :func:`require`; a route without a declaration
is public only if it is listed in :data:`PUBLIC_PATHS`.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jifang.errors import Forbidden, Unauthenticated
from jifang.openapi import answers
from jifang.ratelimit import AUTH_FAILURES, client_key, limits_of
from jifang.state import AppSlot

# A token's signature is checked with the one algorithm its key is for: a header naming another
# (RS256 against an Ed25519 key) is refused as such, never handed to a key that cannot do it.
_KEY_ALGORITHMS: tuple[tuple[type, str], ...] = (
    (ed25519.Ed25519PublicKey, "EdDSA"),
    (ed448.Ed448PublicKey, "EdDSA"),
    (ec.EllipticCurvePublicKey, "ES256"),
    (rsa.RSAPublicKey, "RS256"),
)
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"})


class Role(StrEnum):
    POLICE_OPERATOR = "police_operator"
    POLICE_SUPERVISOR = "police_supervisor"
    TECH_OFFICE = "tech_office"
    UNIT_ADMIN = "unit_admin"
    NVR = "nvr"
    AUDITOR = "auditor"
    SERVICE = "service"


POLICE_ROLES = frozenset({Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR})
# Roles bound to one thing: a unit administrator to its unit, a recorder to itself. Combined with
# any other role, that role's wider reach would carry the token past its binding: refused.
BOUND_ROLES = frozenset({Role.UNIT_ADMIN, Role.NVR})
# The longest each text claim may be: what the use register's columns hold of it.
_CLAIM_LENGTHS = {"sub": 200, "badge": 50, "bureau": 200, "jurisdiction": 50, "district": 100}


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified token."""

    subject: str
    roles: frozenset[Role]
    unit_id: uuid.UUID | None = None  # for unit_admin: the one unit it administers
    badge_number: str | None = None  # for police
    bureau: str | None = None  # for police
    # For police: what the officer's bureau polices. ``jurisdiction``: the city, as the policy
    # pack id the registry gives its units (harbin-2008); ``district``: for an officer of a
    # district bureau (分局), the district, as the registry names the units' districts; none
    # for the city bureau (市局), which polices the whole city.
    jurisdiction: str | None = None
    district: str | None = None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_unit_scoped(self) -> bool:
        """A unit admin sees only its own unit (its token carries no other role)."""
        return Role.UNIT_ADMIN in self.roles


class TokenVerifier:
    """Verifies bearer tokens against a public key or a JWKS endpoint.

    A token verified once is remembered for a minute at most (never past its expiry): an
    officer's console sends the same token with every request, and verifying its signature
    each time was the largest single cost of a call-up. Only the exact string that was verified
    is remembered, so nothing unverified can match."""

    REMEMBER_S = 60.0
    REMEMBER_MAX = 10_000

    def __init__(
        self,
        *,
        audience: str,
        issuer: str,
        public_key_pem: str | None = None,
        jwks_url: str | None = None,
    ) -> None:
        if not public_key_pem and not jwks_url:
            raise ValueError("token verification needs a public key or a JWKS URL")
        self.audience = audience
        self.issuer = issuer
        self._key: Any = (
            serialization.load_pem_public_key(public_key_pem.encode()) if public_key_pem else None
        )
        self._algorithm = key_algorithm(self._key) if self._key is not None else ""
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None:
            if remembered[0] > now:
                return remembered[1]
            del self._verified[token]
        principal, expires = await self._verify(token)
        self._verified[token] = (min(expires, now + self.REMEMBER_S), principal)
        if len(self._verified) > self.REMEMBER_MAX:
            self._verified.popitem(last=False)  # the oldest first
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            key: Any = self._key
            algorithm = self._algorithm
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                key, algorithm = signing_key.key, key_algorithm(signing_key.key)
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "roles"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            # A token is input: whatever the library makes of it, an invalid token is a 401.
            raise Unauthenticated(f"Invalid token: {exc}") from None
        return principal_from_claims(claims), float(claims["exp"])


def key_algorithm(key: Any) -> str:
    """The one signature algorithm a public key verifies (EdDSA, ES256, RS256)."""
    for key_type, algorithm in _KEY_ALGORITHMS:
        if isinstance(key, key_type):
            if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
                break
            return algorithm
    raise ValueError(f"token keys must be Ed25519, ECDSA P-256 or RSA, not {type(key).__name__}")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = _roles(claims.get("roles"))
    text = {name: _text_claim(claims, name) for name in _CLAIM_LENGTHS}
    unit_id = None
    if claims.get("unit_id"):
        try:
            unit_id = uuid.UUID(str(claims["unit_id"]))
        except ValueError as exc:
            raise Unauthenticated("Invalid token: unit_id is not a UUID") from exc
    if Role.UNIT_ADMIN in roles and unit_id is None:
        raise Unauthenticated("Invalid token: a unit_admin token must name its unit")
    if roles & POLICE_ROLES and not (text["badge"] and text["bureau"]):
        raise Unauthenticated("Invalid token: a police token must carry badge and bureau")
    if text["sub"] is None:
        raise Unauthenticated("Invalid token: sub must name the caller")
    if text["district"] and not text["jurisdiction"]:
        raise Unauthenticated("Invalid token: a district is a district of a jurisdiction: name both")
    return Principal(
        subject=text["sub"],
        roles=frozenset(roles),
        unit_id=unit_id,
        badge_number=text["badge"],
        bureau=text["bureau"],
        jurisdiction=text["jurisdiction"],
        district=text["district"],
    )


def _roles(raw_roles: Any) -> frozenset[Role]:
    if not isinstance(raw_roles, list):
        raise Unauthenticated("Invalid token: roles must be a list")
    roles: set[Role] = set()
    for r in raw_roles:
        try:
            roles.add(Role(r))
        except ValueError:
            continue  # roles of other systems are not ours to honour
    bound = sorted(r.value for r in roles & BOUND_ROLES)
    if bound and len(roles) > 1:
        others = ", ".join(sorted(r.value for r in roles if r.value != bound[0]))
        raise Unauthenticated(
            f"Invalid token: the role {bound[0]} is bound to one unit or device and is never combined "
            f"with another role (this token also carries: {others}); issue a token of that role alone"
        )
    return frozenset(roles)


def _text_claim(claims: dict[str, Any], name: str) -> str | None:
    """A text claim as the register can hold it: a string of Unicode characters without control
    characters, within its column's length; absent or empty: None."""
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unauthenticated(f"Invalid token: the claim {name} must be a string")
    if len(value) > _CLAIM_LENGTHS[name]:
        raise Unauthenticated(f"Invalid token: the claim {name} is longer than {_CLAIM_LENGTHS[name]}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise Unauthenticated(
            f"Invalid token: the claim {name} holds a control character or a lone surrogate"
        )
    return value


_bearer = HTTPBearer(auto_error=False)
# Where a service's lifespan puts its verifier.
TOKEN_VERIFIER = AppSlot("token_verifier", TokenVerifier)


@answers(401)
async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # Failed authentications are limited per client address: guessing tokens is stopped.
    limits, client = limits_of(request), client_key(request)
    if limits is not None:
        limits.check(AUTH_FAILURES, client, "failed authentications")
    try:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthenticated("A bearer token is required")
        return await TOKEN_VERIFIER.of(request.app).verify(credentials.credentials)
    except Unauthenticated:
        if limits is not None:
            limits.spend(AUTH_FAILURES, client)
        raise


@answers(401, 403)
class RoleRequirement:
    """A route's declaration of who may call it; introspected by the route-walk test."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    async def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles & self.roles:
            raise Forbidden(
                "This operation is reserved to: " + ", ".join(sorted(r.value for r in self.roles))
            )
        return principal


def require(*roles: Role) -> Any:
    """``Annotated[Principal, require(Role.X, ...)]``: the caller must hold one of the roles."""
    return Depends(RoleRequirement(frozenset(roles)))


# --- token issuing (development and tests; production tokens come from the bureau's IdP) ---


def generate_signing_key() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def issue_token(
    private_key_pem: str,
    *,
    subject: str,
    roles: list[Role] | list[str],
    audience: str,
    issuer: str,
    lifetime: timedelta = timedelta(hours=12),
    unit_id: uuid.UUID | str | None = None,
    badge_number: str | None = None,
    bureau: str | None = None,
    jurisdiction: str | None = None,
    district: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": [str(r) for r in roles],
        "aud": audience,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if unit_id is not None:
        claims["unit_id"] = str(unit_id)
    if badge_number is not None:
        claims["badge"] = badge_number
    for name, value in (("bureau", bureau), ("jurisdiction", jurisdiction), ("district", district)):
        if value is not None:
            claims[name] = value
    claims.update(extra or {})
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return jwt.encode(claims, key, algorithm="EdDSA")  # type: ignore[arg-type]
