"""`make tokens`: one development token per role, signed with the dev key of `make run`.

Production tokens come from the bureau's identity provider; services only verify them.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import timedelta

from devtools.keys import ensure_dev_signing_key
from jifang.auth import Role, issue_token

DEV_ISSUER = "jifang-dev"
AUDIENCE = "jifang"


def dev_token(private_pem: str, subject: str, role: Role, lifetime: timedelta) -> str:
    """A token of one role signed with the dev key, for `make run`'s own processes."""
    return issue_token(
        private_pem, subject=subject, roles=[role], audience=AUDIENCE, issuer=DEV_ISSUER, lifetime=lifetime
    )


def tokens(unit_id: str | None) -> dict[str, str]:
    private_pem, _ = ensure_dev_signing_key()
    out: dict[str, str] = {}
    for role in Role:
        claims: dict[str, object] = {}
        if role in (Role.POLICE_OPERATOR, Role.POLICE_SUPERVISOR):
            # An officer of the Nangang district bureau: the Harbin demo unit's cameras.
            claims = {
                "badge_number": "230101",
                "bureau": "哈尔滨市公安局南岗分局",
                "jurisdiction": "harbin-2008",
                "district": "南岗区",
            }
        if role == Role.UNIT_ADMIN:
            claims = {"unit_id": unit_id or str(uuid.UUID(int=0))}
        subject = f"dev-{role.value}" if role != Role.NVR else f"nvr-{uuid.uuid4().hex[:12]}"
        out[role.value] = issue_token(
            private_pem,
            subject=subject,
            roles=[role],
            audience=AUDIENCE,
            issuer=DEV_ISSUER,
            **claims,  # type: ignore[arg-type]
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--unit-id", default=os.environ.get("UNIT_ID") or None)
    parser.add_argument("--shell", action="store_true", help="print `export ROLE_TOKEN=...` lines")
    args = parser.parse_args()
    for role, tok in tokens(args.unit_id).items():
        if args.shell:
            print(f"export {role.upper()}_TOKEN={tok}")
        else:
            print(f"{role}: {tok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
