"""`python -m services.ingest`: run ingest on its port (8002 by default)."""

from __future__ import annotations

import os

import uvicorn

from jifang.logging import configure_logging


def main() -> None:
    configure_logging("ingest", os.environ.get("INGEST_LOG_LEVEL", "INFO"))
    uvicorn.run(
        "services.ingest.app:create_app",
        factory=True,
        host=os.environ.get("INGEST_HOST", "127.0.0.1"),
        port=int(os.environ.get("INGEST_PORT", "8002")),
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
