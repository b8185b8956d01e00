"""The development signing key: generated on first run under the run folder."""

from __future__ import annotations

import os
from pathlib import Path

from jifang.auth import generate_signing_key

RUN_DIR = Path(os.environ.get("JIFANG_RUN_DIR", ".run"))
PRIVATE_KEY = "dev-signing-key.pem"
PUBLIC_KEY = "dev-signing-key.pub.pem"


def ensure_dev_signing_key(run_dir: Path = RUN_DIR) -> tuple[str, str]:
    """Return (private PEM, public PEM), creating them with mode 0600 on first use."""
    run_dir.mkdir(parents=True, exist_ok=True)
    priv, pub = run_dir / PRIVATE_KEY, run_dir / PUBLIC_KEY
    if not priv.exists():
        private_pem, public_pem = generate_signing_key()
        fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(private_pem)
        pub.write_text(public_pem)
    return priv.read_text(), pub.read_text()
