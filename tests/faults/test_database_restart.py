"""Issue 14, faults: "PostgreSQL restarted while the registry takes writes and the gateway takes
call-ups: every acknowledged change is there afterwards, every call-up answered 201 has its
register row, services recover without a restart, `/readyz` reports the outage while it lasts."

The database is a server of the test's own, crashed (stopped at once, no checkpoint) in the
middle of the traffic and started again two seconds later; the registry and the gateway keep
running throughout. While it is down every answer is a 503 (never a 500), and a call-up that
could not be registered hands out no grant."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devtools.db import admin_execute, asyncpg_url
from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.gateway import ALEMBIC_INI as GATEWAY_ALEMBIC
from services.gateway.app import create_app as create_gateway
from services.registry.app import ALEMBIC_INI as REGISTRY_ALEMBIC
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from tests.conftest import TokenFactory, auth, served_over_http
from tests.faults.postgres import PrivatePostgres
from tests.services.gateway.conftest import callup, gateway_settings, serve
from tests.services.registry.factories import create_device, create_unit, new_uscc, unique


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[PrivatePostgres]:
    pg = PrivatePostgres(Path("/tmp") / f"jifang-pg-{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(pg.init)
    try:
        await admin_execute(pg.admin_dsn, "CREATE DATABASE jifang")
        for ini in (REGISTRY_ALEMBIC, GATEWAY_ALEMBIC):
            await upgrade_async(ini, pg.url("jifang"))
        yield pg
    finally:
        await asyncio.to_thread(pg.stop)


def _unit_body() -> dict[str, Any]:
    return {
        "name": unique("重启测试支行"),
        "uscc": new_uscc(),
        "address": "哈尔滨市南岗区红军街1号",
        "district": "南岗区",
        "is_business": True,
        "security_affiliation": "district",
        "affiliation_district": "南岗区",
        "jurisdiction": "harbin-2008",
    }


class Traffic:
    """Writes to the registry and call-ups to the gateway, as fast as they are answered, and
    what each answered."""

    def __init__(
        self,
        registry: httpx.AsyncClient,
        gateway: httpx.AsyncClient,
        tech: dict[str, str],
        officer: dict[str, str],
        camera_id: str,
    ) -> None:
        self.registry, self.gateway = registry, gateway
        self.tech, self.officer, self.camera_id = tech, officer, camera_id
        self.units: list[str] = []
        self.uses: list[int] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.readiness: list[tuple[float, str, int]] = []
        self.stop = asyncio.Event()

    async def write_units(self) -> None:
        while not self.stop.is_set():
            r = await self.registry.post("/api/v1/units", json=_unit_body(), headers=self.tech)
            self.statuses["registry", r.status_code] += 1
            if r.status_code == 201:
                self.units.append(r.json()["id"])
            else:
                await asyncio.sleep(0.05)

    async def call_up(self) -> None:
        while not self.stop.is_set():
            r = await self.gateway.post("/api/v1/callups", json=callup(self.camera_id), headers=self.officer)
            self.statuses["gateway", r.status_code] += 1
            if r.status_code == 201:
                self.uses.append(r.json()["use_seq"])
            else:
                assert "grant" not in r.json() and "url" not in r.json(), r.text  # no image unregistered
                await asyncio.sleep(0.05)

    async def watch_readiness(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.stop.is_set():
            for name, client in (("registry", self.registry), ("gateway", self.gateway)):
                r = await client.get("/readyz")
                self.readiness.append((loop.time(), name, r.status_code))
            await asyncio.sleep(0.2)


async def test_a_database_crash_loses_no_acknowledged_write(
    database: PrivatePostgres,
    bootstrap: str,
    signing_keys: tuple[str, str],
    token: TokenFactory,
    registry_settings: RegistrySettings,
) -> None:
    # The session's registry settings on this server, with consumer groups of its own (the
    # session's registry keeps its partitions).
    suffix = uuid.uuid4().hex[:6]
    settings = registry_settings.model_copy(
        update={
            "database_url": database.url("jifang"),
            "retention_results_group": f"crash-registry-retention-{suffix}",
            "device_state_group": f"crash-registry-states-{suffix}",
        }
    )
    registry_app = create_registry(settings)
    tech = auth(token(Role.TECH_OFFICE))
    officer = auth(token(Role.POLICE_OPERATOR))
    loop = asyncio.get_running_loop()
    async with (
        registry_app.router.lifespan_context(registry_app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=registry_app), base_url="http://registry"
        ) as registry,
        served_over_http(registry_app) as registry_url,
    ):
        unit = await create_unit(registry, tech)
        camera = await create_device(
            registry, tech, unit["id"], onvif_address="http://192.0.2.20/onvif/device_service"
        )
        gateway_app = create_gateway(
            gateway_settings(database.url("jifang"), bootstrap, registry_url, token, signing_keys)
        )
        async for gateway in serve(gateway_app):
            traffic = Traffic(registry, gateway, tech, officer, camera["id"])
            tasks = [
                asyncio.create_task(t())
                for t in (traffic.write_units, traffic.call_up, traffic.watch_readiness)
            ]
            await asyncio.sleep(1.0)
            before = (len(traffic.units), len(traffic.uses))
            await asyncio.to_thread(database.crash)
            down_at = loop.time()
            await asyncio.sleep(2.0)
            starting_at = loop.time()  # from here it may answer again (start waits until it does)
            await asyncio.to_thread(database.start)
            up_at = loop.time()
            await asyncio.sleep(4.0)  # the pools find their connections dead and open new ones
            traffic.stop.set()
            await asyncio.gather(*tasks)
            # Recovered without a restart: both answer writes again.
            assert (await registry.post("/api/v1/units", json=_unit_body(), headers=tech)).status_code == 201
            assert (
                await gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=officer)
            ).status_code == 201
            auditor = auth(token(Role.AUDITOR))
            chain = (await gateway.get("/api/v1/register/verify", headers=auditor)).json()
    statuses = dict(traffic.statuses)
    # While it was down, 503s only: never a 500, never a write acknowledged and lost.
    assert {code for (_, code) in statuses} <= {201, 503}, statuses
    assert statuses.get(("registry", 503)) and statuses.get(("gateway", 503)), statuses
    assert len(traffic.units) > before[0] and len(traffic.uses) > before[1], "no traffic after the restart"
    conn = await asyncpg.connect(asyncpg_url(database.url("jifang")))
    try:
        stored_units = {
            str(u)
            for u in await conn.fetchval(
                "SELECT array_agg(id) FROM registry.units WHERE id = ANY($1::uuid[])", traffic.units
            )
            or []
        }
        stored_uses = set(
            await conn.fetchval(
                "SELECT array_agg(seq) FROM gateway.use_register WHERE seq = ANY($1::bigint[])", traffic.uses
            )
            or []
        )
    finally:
        await conn.close()
    assert stored_units == set(traffic.units), "acknowledged units lost"
    assert stored_uses == set(traffic.uses), "call-ups answered 201 without their register row"
    assert chain["intact"] is True
    # /readyz said so while it lasted (a check under way when it went down may still say ready),
    # and each service is ready again at the end, without a restart.
    for name in ("registry", "gateway"):
        during = [code for at, n, code in traffic.readiness if n == name and down_at + 1.0 < at < starting_at]
        assert 503 in during and 200 not in during[1:-1], (name, traffic.readiness)
        after = [code for at, n, code in traffic.readiness if n == name and at > up_at]
        assert after and after[-1] == 200, (name, traffic.readiness)
