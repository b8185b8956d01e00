"""A simulated fleet registered with a benchmark's registry."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench.registry_bench import DEVICE_COLUMNS, csv_text, units_csv, uscc
from bench.stack import Stack
from jifang.auth import Role
from jifang.registry_client import RegistryClient
from services.registry.cli import import_file


def register_fleet(stack: Stack, devices: list[dict[str, Any]], password: str) -> None:
    """Register simulated devices by CSV import (as the simulator describes them), ten per
    unit, units alternating Harbin and Kunming."""
    client = httpx.Client(
        base_url=f"{stack.registry_url}/api/v1",
        headers={"Authorization": f"Bearer {stack.token(Role.TECH_OFFICE)}"},
        timeout=600,
    )
    n_units = max(1, len(devices) // 10)
    r = client.post(
        "/imports/units",
        content=units_csv(0, n_units, lambda i: f"区{i % 12}").encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.json()["imported"] == n_units, r.text
    rows = [
        [
            uscc(i % n_units),
            d["kind"],
            d["device_id"],
            "entrance" if d["kind"] == "camera" else "server_room",
            d["onvif_address"],
            "admin",
            password,
            *extra,
        ]
        for i, d in enumerate(devices)
        for extra in ([f"SCALE{i:06d}", "Jifang", "SIM"],)
    ]
    path = stack.tmp / "scale-devices.csv"
    path.write_text(csv_text(DEVICE_COLUMNS, rows), encoding="utf-8")

    async def import_devices() -> dict[str, Any]:
        async with RegistryClient(
            stack.registry_url, stack.token(Role.TECH_OFFICE), timeout_s=600
        ) as registry:
            return await import_file(registry, "devices", path, 5000, False)

    report = asyncio.run(import_devices())
    assert report["imported"] == len(devices), report["errors"][:3]
    client.close()
