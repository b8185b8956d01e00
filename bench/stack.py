"""A scratch platform for benchmarks: its own database, the bundled broker and a real
registry process, torn down afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.broker import LocalBroker, free_port
from devtools.db import admin_execute
from devtools.run import wait_ready
from jifang.auth import Role, generate_signing_key, issue_token
from jifang.kafka import ensure_topics
from jifang.migrate import upgrade_async
from jifang.secrets import generate_key_b64
from jifang.topics import catalogue
from services.registry.app import ALEMBIC_INI

ADMIN_DSN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Stack:
    tmp: Path
    db: str
    broker: LocalBroker
    registry_url: str
    private_pem: str

    def token(self, role: Role) -> str:
        return issue_token(self.private_pem, subject="bench", roles=[role], audience="jifang", issuer="bench")


@asynccontextmanager
async def registry_stack() -> AsyncIterator[Stack]:
    tmp = Path(os.environ.get("BENCH_DIR", "/tmp")) / f"jifang-bench-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    name = f"jifang_bench_{uuid.uuid4().hex[:8]}"
    await admin_execute(ADMIN_DSN, f'CREATE DATABASE "{name}"')
    db = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    broker = LocalBroker(free_port(), tmp / "broker.log")
    broker.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        await ensure_topics(broker.bootstrap, catalogue().values())
        await upgrade_async(ALEMBIC_INI, db)
        private_pem, public_pem = generate_signing_key()
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "JWT_PUBLIC_KEY": public_pem,
            "REGISTRY_JWT_ISSUER": "bench",
            "REGISTRY_PORT": str(port),
            "REGISTRY_CREDENTIALS_KEY": generate_key_b64(),
            "REGISTRY_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen([sys.executable, "-m", "services.registry"], env=env)  # noqa: ASYNC220
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url)
        yield Stack(tmp, db, broker, url, private_pem)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        broker.stop()
        await admin_execute(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
