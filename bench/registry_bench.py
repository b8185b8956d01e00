"""`make bench`: the registry's figures, measured against a real registry process, a real
PostgreSQL database of its own and the bundled broker. Prints `BENCH <figure> <value> <unit>`.

Figures (targets from issue 2): CSV import of 100,000 devices (>= 5,000 devices/s), device
list query p99 at 100,000 devices (< 50 ms), findings recomputation for 10,000 units (< 10 s).
The import is also measured side by side with the naive path, one API call per device.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.stack import registry_stack
from devtools.db import asyncpg_url
from jifang.auth import Role
from jifang.identifiers import make_uscc
from jifang.registry_client import RegistryClient
from services.registry.cli import import_file
from services.registry.imports.schemas import COLUMNS, ImportKind

N_DEVICES = int(os.environ.get("BENCH_DEVICES", "100000"))
N_FINDING_UNITS = int(os.environ.get("BENCH_UNITS", "10000"))
N_NAIVE = 1000
# The import's own column list, up to the columns this benchmark fills.
DEVICE_COLUMNS = list(COLUMNS[ImportKind.DEVICES][:10])
LOCATIONS = ["entrance", "lobby", "counter", "vault", "corridor", "parking", "perimeter"]
rng = random.Random(20261122)


def bench(figure: str, value: float, unit: str) -> None:
    print(f"BENCH {figure} {value:.6g} {unit}", flush=True)


def uscc(i: int) -> str:
    return make_uscc("91230100", f"{i:08d}")


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def units_csv(start: int, count: int, district_of: Any) -> str:
    return csv_text(
        ["name", "uscc", "address", "district", "is_business", "security_affiliation", "jurisdiction"],
        [
            [
                f"单位{i}",
                uscc(i),
                f"地址{i}",
                district_of(i),
                "true",
                "none",
                "harbin-2008" if i % 2 else "kunming-2012",
            ]
            for i in range(start, start + count)
        ],
    )


async def measure_import(registry: RegistryClient, client: httpx.Client, tmp: Path, units: int) -> None:
    rows = [
        [
            uscc(rng.randrange(units)),
            "camera",
            f"摄像机{i}",
            rng.choice(LOCATIONS),
            f"http://10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/onvif/device_service",
            "admin",
            f"pw{i}",
            f"SN{i:08d}",
            "Acme",
            "IPC-1",
        ]
        for i in range(N_DEVICES)
    ]
    path = tmp / "devices.csv"
    path.write_text(
        csv_text(
            DEVICE_COLUMNS,
            rows,
        ),
        encoding="utf-8",
    )
    started = time.perf_counter()
    report = await import_file(registry, "devices", path, 5000, False)
    elapsed = time.perf_counter() - started
    assert report["imported"] == N_DEVICES, report["errors"][:3]
    rate = N_DEVICES / elapsed
    bench("csv_import_devices", N_DEVICES, "devices")
    bench("csv_import_seconds", elapsed, "s")
    bench("csv_import_rate", rate, "devices/s")
    bench("csv_import_rate_vs_target_5000", rate / 5000, "ratio")

    # The naive baseline, side by side: one POST per device through the same API.
    units_page = client.get("/units", params={"limit": 50}).json()["items"]
    started = time.perf_counter()
    for i in range(N_NAIVE):
        r = client.post(
            f"/units/{units_page[i % len(units_page)]['id']}/devices",
            json={
                "kind": "camera",
                "name": f"naive{i}",
                "location_type": "lobby",
                "username": "admin",
                "password": "pw",
            },
        )
        assert r.status_code == 201, r.text
    naive_rate = N_NAIVE / (time.perf_counter() - started)
    bench("naive_per_row_api_rate", naive_rate, "devices/s")
    bench("csv_import_speedup_vs_naive", rate / naive_rate, "ratio")


def _pending(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("outbox_events_pending{"):
            return float(line.rsplit(" ", 1)[1])
    return float("nan")


async def measure_outbox_drain(url: str) -> None:
    """The relay publishes the import's events to the broker; wait until it has caught up."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url) as c:
        while True:
            pending = _pending((await c.get("/metrics")).text)
            if pending == 0:
                break
            await asyncio.sleep(0.2)
    bench("outbox_drain_after_import_seconds", time.perf_counter() - started, "s")


async def measure_list(url: str, token: str, unit_ids: list[str], districts: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    queries: list[dict[str, Any]] = []
    for i in range(400):
        kind = i % 6
        if kind == 0:
            queries.append({})
        elif kind == 1:
            queries.append({"unit_id": rng.choice(unit_ids)})
        elif kind == 2:
            queries.append({"district": rng.choice(districts), "limit": 100})
        elif kind == 3:
            queries.append({"status": "unknown", "kind": "camera", "offset": rng.randrange(0, 5000)})
        elif kind == 4:
            queries.append({"q": f"摄像机{rng.randrange(N_DEVICES)}"})
        else:
            queries.append({"sort": "-name", "offset": rng.randrange(0, 2000)})
    timings: list[float] = []
    by_shape: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as c:
        for q in queries[:20]:  # warm-up
            await c.get("/api/v1/devices", params=q)
        for q in queries:
            t0 = time.perf_counter()
            r = await c.get("/api/v1/devices", params=q)
            ms = (time.perf_counter() - t0) * 1000
            timings.append(ms)
            by_shape.setdefault("+".join(sorted(q)) or "default", []).append(ms)
            assert r.status_code == 200, r.text
    for shape, ts in sorted(by_shape.items()):
        bench(f"device_list_max[{shape}]", max(ts), "ms")
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    bench("device_list_p50", statistics.median(timings), "ms")
    bench("device_list_p99", p99, "ms")
    bench("device_list_p99_vs_target_50ms", p99 / 50, "ratio")


async def seed_finding_units(db: str, client: httpx.Client, start: int) -> list[str]:
    """10,000 units with mandated places; half of them have a video system, some refuse networking."""
    text = units_csv(start, N_FINDING_UNITS, lambda i: f"区{i % 12}")
    assert (
        client.post("/imports/units", content=text.encode(), headers={"Content-Type": "text/csv"}).json()[
            "failed"
        ]
        == 0
    )
    places = csv_text(
        ["unit_uscc", "name", "category"],
        [
            [uscc(i), "入口", "hrb-7-10" if i % 2 else "kmg-6-8"]
            for i in range(start, start + N_FINDING_UNITS)
        ],
    )
    assert (
        client.post("/imports/places", content=places.encode(), headers={"Content-Type": "text/csv"}).json()[
            "failed"
        ]
        == 0
    )
    conn = await asyncpg.connect(asyncpg_url(db))
    try:
        rows = await conn.fetch(
            "SELECT p.id AS place_id, u.id AS unit_id FROM registry.places p "
            "JOIN registry.units u ON u.id = p.unit_id WHERE u.uscc = ANY($1::text[])",
            [uscc(i) for i in range(start, start + N_FINDING_UNITS, 2)],
        )
        systems = [(uuid.uuid4(), r["unit_id"], r["place_id"]) for r in rows]
        await conn.executemany(
            "INSERT INTO registry.systems (id, unit_id, name, system_type, in_use, networking, products, "
            "changed_since_filing, acceptance_date) "
            "VALUES ($1, $2, 'video', 'video', true, $3, '[]', false, '2026-01-01')",
            [(s, u, "refused" if k % 5 == 0 else "connected") for k, (s, u, _) in enumerate(systems)],
        )
        await conn.executemany(
            "INSERT INTO registry.system_places (system_id, place_id) VALUES ($1, $2)",
            [(s, p) for s, _, p in systems],
        )
    finally:
        await conn.close()
    return [str(r["unit_id"]) for r in rows]


async def main() -> int:
    async with registry_stack() as stack:
        db, url, tmp = stack.db, stack.registry_url, stack.tmp
        token = stack.token(Role.TECH_OFFICE)
        client = httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=600
        )

        n_units = 2000
        districts = [f"区{i}" for i in range(12)]
        r = client.post(
            "/imports/units",
            content=units_csv(0, n_units, lambda i: districts[i % 12]).encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert r.json()["imported"] == n_units, r.text
        async with RegistryClient(url, token, timeout_s=600) as registry:
            await measure_import(registry, client, tmp, n_units)

        await measure_outbox_drain(url)
        # After a bulk load, as an operator would: fresh planner statistics, a clean heap.
        started = time.perf_counter()
        conn = await asyncpg.connect(asyncpg_url(db))
        try:
            await conn.execute("VACUUM ANALYZE registry.devices, registry.units, registry.outbox")
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()
        bench("vacuum_analyze_after_import_seconds", time.perf_counter() - started, "s")
        unit_ids = [u["id"] for u in client.get("/units", params={"limit": 500}).json()["items"]]
        await measure_list(url, token, unit_ids, districts)

        await seed_finding_units(db, client, start=n_units)
        started = time.perf_counter()
        result = client.post("/findings/recompute").json()
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = client.post("/findings/recompute").json()
        steady = time.perf_counter() - started
        assert again["opened"] == 0 and again["active"] == result["active"], (result, again)
        bench("findings_recompute_units", result["units"], "units")
        bench("findings_recompute_active_findings", result["active"], "findings")
        bench("findings_recompute_seconds", first, "s")
        bench("findings_recompute_steady_seconds", steady, "s")
        bench("findings_recompute_vs_target_10s", max(first, steady) / 10, "ratio")
        client.close()
        return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
