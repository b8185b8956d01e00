"""`python -m services.gateway` serves the gateway (port 8000); `python -m services.gateway
verify` checks the use register's hash chain and exits 1 if it is broken."""

import asyncio
import sys

from jifang.http import serve
from services.gateway.settings import GatewaySettings

if __name__ == "__main__":
    if sys.argv[1:2] == ["verify"]:
        from services.gateway.cli import verify_main

        sys.exit(asyncio.run(verify_main()))
    serve("services.gateway.app:create_app", GatewaySettings())
