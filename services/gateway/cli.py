"""`python -m services.gateway verify`: the use register's chain, checked from the database."""

from __future__ import annotations

import json

from jifang.db import create_engine, create_sessionmaker, session_scope
from services.gateway.register import UseRegister
from services.gateway.settings import GatewaySettings


async def verify_main() -> int:
    settings = GatewaySettings()
    engine = create_engine(settings.database_url, 1, "gateway-verify", role=settings.database_role)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            report = await UseRegister(session).verify()
    finally:
        await engine.dispose()
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0 if report.intact else 1
