"""`python -m services.registry`: run the registry on its port (8001 by default)."""

from __future__ import annotations

import os

import uvicorn

from jifang.logging import configure_logging


def main() -> None:
    configure_logging("registry", os.environ.get("REGISTRY_LOG_LEVEL", "INFO"))
    uvicorn.run(
        "services.registry.app:create_app",
        factory=True,
        host=os.environ.get("REGISTRY_HOST", "127.0.0.1"),
        port=int(os.environ.get("REGISTRY_PORT", "8001")),
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
