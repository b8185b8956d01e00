"""Credentials come from the registry's internal API in batches and stay in memory only."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI

from devtools.broker import free_port
from jifang.auth import Role
from jifang.credentials import RegistryCredentials, UnknownDevice
from jifang.registry_client import RegistryClient, RegistryUnavailable
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.ingest.conftest import register_fleet
from tests.services.registry.factories import create_unit


async def test_concurrent_asks_share_one_request(
    registry_app: FastAPI, client: httpx.AsyncClient, registry_url: str, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    fleet = Fleet.__new__(Fleet)  # only described, never served: nothing is polled here
    fleet.devices = {f"c{i}": SimDevice(f"c{i}", password=f"pw-{i}", port=10600 + i) for i in range(30)}
    ids = await register_fleet(client, tech, unit["id"], fleet)
    registry = RegistryClient(registry_url, token(Role.SERVICE))
    creds = RegistryCredentials(registry)
    try:
        wanted = [uuid.UUID(ids[f"c{i}"]) for i in range(30)]
        got = await asyncio.gather(*(creds.get(i) for i in wanted))
        assert [c.password for c in got] == [f"pw-{i}" for i in range(30)]
        assert creds.requests == 1
        assert "pw-0" not in repr(got[0])  # never printed, even by accident
        await creds.get(wanted[0])  # cached
        assert creds.requests == 1
        with pytest.raises(UnknownDevice):
            await creds.get(uuid.uuid4())
        creds.forget(wanted[1])
        await creds.get(wanted[1])
        assert creds.requests == 3
    finally:
        await creds.close()
        await registry.aclose()


async def test_registry_down_fails_every_waiter(token: TokenFactory) -> None:
    registry = RegistryClient(f"http://127.0.0.1:{free_port()}", token(Role.SERVICE))
    creds = RegistryCredentials(registry)
    try:
        results = await asyncio.gather(*(creds.get(uuid.uuid4()) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, RegistryUnavailable) for r in results), results
    finally:
        await creds.close()
        await registry.aclose()
