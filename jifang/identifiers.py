"""Identifiers with check digits: the unified social credit code (GB 32100-2015)."""

from __future__ import annotations

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code, digits 9-16


class InvalidCode(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _org_check_char(first8: str) -> str:
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate_uscc(code: str) -> str:
    """Return the normalised code, or raise :class:`InvalidCode` naming the rule broken."""
    code = code.strip().upper()
    if len(code) != 18:
        raise InvalidCode("uscc-length", "a unified social credit code has 18 characters")
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        raise InvalidCode(
            "uscc-charset", f"character {bad[0]!r} is not allowed in a unified social credit code"
        )
    if not code[2:8].isdigit():
        raise InvalidCode("uscc-region", "characters 3-8 must be the administrative region code")
    org = code[8:17]
    if org[:8].isalnum() and org[8] != _org_check_char(org[:8]):
        raise InvalidCode(
            "uscc-org-checksum", "the organisation code (characters 9-17) has a wrong check digit"
        )
    if code[17] != uscc_check_char(code[:17]):
        raise InvalidCode("uscc-checksum", "the check character (the 18th) does not match")
    return code


def make_uscc(prefix8: str, org8: str) -> str:
    """Build a valid code from a registration prefix and an 8-character organisation body
    (tests and demo data)."""
    org = org8 + _org_check_char(org8)
    body = prefix8 + org
    return body + uscc_check_char(body)
