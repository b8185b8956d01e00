"""Gateway benchmarks (issue 5), against the issue's targets, through real HTTP:

1. Call-up (authorization, camera check, durable registration in the hash-chained register,
   grant) at an offered 200 requests/s, open loop, gateway with 2 worker processes: p99 < 25 ms.
2. The relay's authentication hook, MediaMTX's request, at an offered 400 requests/s: p99 < 5 ms.
3. Verification of a 1,000,000-record register (through the API): < 10 s.

The call-up is measured BENCH_GATEWAY_RUNS times (default 5) in a row: each run's p99 is
printed, and the median, the best and the worst of them, so that a figure in the README is one
a reader reproduces rather than one lucky run; and side by side, the use register written one
record per statement (as before) and with group commit (GATEWAY_REGISTER_MAX_BATCH).

`python -m bench.gateway_bench` (BENCH_GATEWAY_SECONDS, BENCH_GATEWAY_RUNS, BENCH_GATEWAY_RECORDS).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from bench.registry_bench import bench
from bench.stack import Stack, registry_stack
from devtools.broker import free_port
from devtools.run import wait_ready
from jifang.auth import Role, issue_token
from jifang.db import create_engine
from jifang.identifiers import make_uscc
from jifang.migrate import upgrade_async
from jifang.onvif.transport import DeviceConnection, HttpError
from services.gateway import ALEMBIC_INI

SECONDS = float(os.environ.get("BENCH_GATEWAY_SECONDS", "15"))
RUNS = int(os.environ.get("BENCH_GATEWAY_RUNS", "5"))
RECORDS = int(os.environ.get("BENCH_GATEWAY_RECORDS", "1000000"))
CALLUP_RATE = float(os.environ.get("BENCH_GATEWAY_RATE", "200"))
HOOK_RATE = 2 * CALLUP_RATE
CALLUP_TARGET_MS, HOOK_TARGET_MS, VERIFY_TARGET_S = 25.0, 5.0, 10.0


def public_pem(private_pem: str) -> str:
    key: Any = serialization.load_pem_private_key(private_pem.encode(), password=None)
    pem: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Pool:
    """Keep-alive connections to the gateway, written and read with the lean HTTP client of
    jifang.onvif.transport: the load generator must cost far less than what it measures (it
    shares this 2-core machine with the gateway, the registry and PostgreSQL)."""

    def __init__(self, url: str, size: int) -> None:
        self._idle: asyncio.Queue[DeviceConnection] = asyncio.Queue()
        for _ in range(size):
            self._idle.put_nowait(DeviceConnection(url))

    async def post(self, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, bytes]:
        conn = await self._idle.get()
        try:
            extra = f"Authorization: Bearer {token}\r\n" if token else ""
            return await conn.post(path, json.dumps(body).encode(), "application/json", extra)
        finally:
            self._idle.put_nowait(conn)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()


async def open_loop(rate: float, seconds: float, send: Any) -> tuple[list[float], int, float]:
    """Requests started on schedule, not after the previous answer (an open loop: a slow
    answer does not slow the offered load): latencies (ms), errors, achieved rate."""
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    n = int(rate * seconds)
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)

        async def one(i: int = i) -> None:
            nonlocal errors
            t = time.perf_counter()
            try:
                ok = await send(i)
            except (OSError, HttpError):
                ok = False
            latencies.append((time.perf_counter() - t) * 1000)
            errors += 0 if ok else 1

        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies, errors, n / (time.perf_counter() - start)


def report_spread(name: str, p99s: list[float], target_ms: float) -> None:
    """The p99 of each of several runs, and their median, best and worst."""
    for i, p99 in enumerate(p99s, 1):
        bench(f"gateway.{name}.run{i}.p99", p99, "ms")
    bench(f"gateway.{name}.runs", len(p99s), "runs")
    bench(f"gateway.{name}.p99_median_of_runs", statistics.median(p99s), "ms")
    bench(f"gateway.{name}.p99_best_run", min(p99s), "ms")
    bench(f"gateway.{name}.p99_worst_run", max(p99s), "ms")
    bench(f"gateway.{name}.p99_median_ratio_to_target", statistics.median(p99s) / target_ms, "x (target < 1)")


def report(name: str, result: tuple[list[float], int, float], rate: float, target_ms: float) -> float:
    latencies, errors, achieved = result
    p99 = percentile(latencies, 0.99)
    bench(f"gateway.{name}.offered_rate", rate, "requests/s")
    bench(f"gateway.{name}.achieved_rate", achieved, "requests/s")
    bench(f"gateway.{name}.requests", len(latencies), "requests")
    bench(f"gateway.{name}.errors", errors, "requests")
    bench(f"gateway.{name}.p50", statistics.median(latencies), "ms")
    bench(f"gateway.{name}.p90", percentile(latencies, 0.90), "ms")
    bench(f"gateway.{name}.p99", p99, "ms")
    bench(f"gateway.{name}.max", max(latencies), "ms")
    bench(f"gateway.{name}.p99_ratio_to_target", p99 / target_ms, "x (target < 1)")
    return p99


async def cameras(stack: Stack, n: int) -> list[str]:
    headers = {"Authorization": f"Bearer {stack.token(Role.TECH_OFFICE)}"}
    async with httpx.AsyncClient(base_url=f"{stack.registry_url}/api/v1", headers=headers, timeout=30) as c:
        r = await c.post("/units", json=_unit(make_uscc("91230100", f"GW{uuid.uuid4().hex[:6].upper()}")))
        r.raise_for_status()
        unit_id = r.json()["id"]
        ids = []
        for i in range(n):
            d = await c.post(
                f"/units/{unit_id}/devices",
                json={
                    "kind": "camera",
                    "name": f"摄像机{i}",
                    "location_type": "entrance",
                    "onvif_address": f"http://192.0.2.{i % 250 + 1}/onvif/device_service",
                },
            )
            d.raise_for_status()
            ids.append(d.json()["id"])
        return ids


def _unit(uscc: str) -> dict[str, Any]:
    return {
        "name": "基准测试单位",
        "uscc": uscc,
        "address": "哈尔滨市南岗区",
        "district": "南岗区",
        "is_business": True,
        "security_affiliation": "none",
        "jurisdiction": "harbin-2008",
    }


# The use register written one record per statement (as before group commit) and in batches of
# what queued meanwhile (GATEWAY_REGISTER_MAX_BATCH), measured side by side in one run.
WRITERS = {"one_by_one": "1", "group_commit": "200"}


async def main() -> None:
    async with registry_stack() as stack:
        camera_ids = await cameras(stack, 50)
        await upgrade_async(ALEMBIC_INI, stack.db)
        medians = {}
        for writer, max_batch in WRITERS.items():
            async with gateway(stack, max_batch) as url:
                medians[writer] = await measure(stack, url, camera_ids, writer, last=writer == "group_commit")
        bench(
            "gateway.callup.p99_group_commit_vs_one_by_one",
            medians["group_commit"] / medians["one_by_one"],
            "x (median p99 of the runs)",
        )


@asynccontextmanager
async def gateway(stack: Stack, max_batch: str) -> AsyncIterator[str]:
    """The gateway as a process, two workers, its register written in batches of up to ``max_batch``."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": stack.db,
        "KAFKA_BOOTSTRAP_SERVERS": stack.broker.bootstrap,
        "JWT_PUBLIC_KEY": public_pem(stack.private_pem),
        "GATEWAY_JWT_ISSUER": "bench",
        "GATEWAY_PORT": str(port),
        "GATEWAY_WORKERS": "2",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_REGISTRY_URL": stack.registry_url,
        "GATEWAY_SERVICE_TOKEN": stack.token(Role.SERVICE),
        "GATEWAY_GRANT_KEY": secrets.token_urlsafe(48),
        "GATEWAY_RATE_LIMIT_PER_S": "100000",
        "GATEWAY_RATE_LIMIT_BURST": "100000",
        "GATEWAY_CALLUPS_PER_MINUTE": "0",  # one officer's token carries the whole load
        "GATEWAY_REGISTER_MAX_BATCH": max_batch,
    }
    proc = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env)  # noqa: ASYNC220
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


async def measure(stack: Stack, url: str, camera_ids: list[str], writer: str, *, last: bool) -> float:
    """The call-up in several runs (their median p99); after the last writer also the relay hook
    and the verification of a register of RECORDS records."""
    officer = issue_token(
        stack.private_pem,
        subject="bench-officer",
        roles=[Role.POLICE_OPERATOR],
        audience="jifang",
        issuer="bench",
        badge_number="HRB-000123",
        bureau="哈尔滨市公安局南岗分局",
        jurisdiction="harbin-2008",
        district="南岗区",
    )
    pool = Pool(url, 64)
    grants: list[dict[str, Any]] = []
    failures: list[str] = []

    async def call_up(i: int) -> bool:
        status, body = await pool.post(
            "/api/v1/callups",
            {
                "camera_id": camera_ids[i % len(camera_ids)],
                "purpose": "追查盗窃嫌疑人",
                "case_number": f"A23010320261100{i:05d}",
                "destination": "南岗分局刑侦大队 3号工作站",
            },
            officer,
        )
        if status == 201 and len(grants) < 500:
            grants.append(json.loads(body))
        elif status != 201 and not failures:
            failures.append(f"{status} {body[:300]!r}")
        return status == 201

    async def relay_auth(i: int) -> bool:
        g = grants[i % len(grants)]
        # A grant's reader asking again (an RTSP connection's DESCRIBE and SETUPs), from the
        # address the call-up came from: each grant admits at most 2 readers.
        status, _ = await pool.post(
            "/internal/relay/auth",
            {
                "user": "",
                "password": g["token"],
                "token": "",
                "ip": "127.0.0.1",
                "action": "read",
                "path": g["path"],
                "protocol": "rtsp",
                "id": str(uuid.UUID(g["grant_id"])),
                "query": "",
            },
        )
        return status == 200

    try:
        # Warm-up: every camera in both workers' caches, the connections open.
        await open_loop(100, 4, call_up)
        name = f"callup.{writer}"
        p99s = [
            report(name, await open_loop(CALLUP_RATE, SECONDS, call_up), CALLUP_RATE, CALLUP_TARGET_MS)
            for _ in range(RUNS)
        ]
        report_spread(name, p99s, CALLUP_TARGET_MS)
        if failures:
            print(f"  first failed call-up: {failures[0]}", flush=True)
        if last:
            report(
                "relay_hook",
                await open_loop(HOOK_RATE, min(SECONDS, 10), relay_auth),
                HOOK_RATE,
                HOOK_TARGET_MS,
            )
    finally:
        pool.close()
    if last:
        await verify_a_grown_register(stack, url)
    return statistics.median(p99s)


async def verify_a_grown_register(stack: Stack, url: str) -> None:
    # The register grown to RECORDS through the database's own trigger (chained as in service).
    engine = create_engine(stack.db, 1, "gateway-bench")
    started = time.perf_counter()
    async with engine.connect() as conn:
        have = int(await conn.scalar(text("SELECT count(*) FROM gateway.use_register")) or 0)
        for done in range(have, RECORDS, 200_000):
            await conn.execute(
                text(
                    "INSERT INTO gateway.use_register (officer, badge_number, bureau, role, purpose, "
                    "case_number, destination, camera_id, unit_id, mode, client_address, outcome, "
                    "prev_hash, hash) SELECT 'officer-' || (i % 300), 'HRB-' || (i % 3000), "
                    "'哈尔滨市公安局南岗分局', 'police_operator', '追查盗窃嫌疑人', 'A' || i, "
                    "'南岗分局刑侦大队', gen_random_uuid(), gen_random_uuid(), 'live', '10.1.2.3', "
                    "'granted', '', '' FROM generate_series(CAST(:a AS bigint), CAST(:b AS bigint)) i"
                ),
                {"a": done + 1, "b": min(RECORDS, done + 200_000)},
            )
            await conn.commit()
        await conn.execute(text("ANALYZE gateway.use_register"))
        await conn.commit()
    await engine.dispose()
    print(f"  register filled to {RECORDS} records in {time.perf_counter() - started:.0f} s", flush=True)
    auditor = {"Authorization": f"Bearer {stack.token(Role.AUDITOR)}"}
    async with httpx.AsyncClient(base_url=url, headers=auditor, timeout=120) as c:
        started = time.perf_counter()
        r = await c.get("/api/v1/register/verify")
        elapsed = time.perf_counter() - started
    body = r.json()
    assert r.status_code == 200 and body["intact"], body
    bench("gateway.verify.records", body["records"], "records")
    bench("gateway.verify.seconds", elapsed, "s")
    bench("gateway.verify.ratio_to_target", elapsed / VERIFY_TARGET_S, "x (target < 1)")


if __name__ == "__main__":
    asyncio.run(main())
