"""Retention benchmarks (issue 4), against the issue's targets:

1. Compliance of 100,000 channels evaluated from stored spans, set-based in PostgreSQL:
   target < 5 s (the hourly re-judgement, once after a rule change and once with nothing
   changed). Before it, informative: 100,000 readings stored and judged in one batch, twice
   (the first check of every channel, then the next day's, compared with the first).
2. 1,000 simulated recorders checked over ONVIF (summary, paged searches, information,
   retention setting, recording history) with bounded concurrency, credentials from a real
   registry, results stored, judged and queued for Kafka: target < 60 s.

`python -m bench.retention_bench` (BENCH_RETENTION_CHANNELS, BENCH_RETENTION_RECORDERS).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import time
import uuid
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry
from sqlalchemy import text

from bench.fleet import register_fleet
from bench.registry_bench import bench
from bench.stack import ADMIN_DSN, registry_stack
from devtools.broker import free_port
from devtools.db import admin_execute
from jifang.auth import Role
from jifang.credentials import RegistryCredentials
from jifang.db import create_engine, create_sessionmaker, session_scope
from jifang.migrate import upgrade_async
from jifang.mirror import sync_fleet
from jifang.policy import load_policy_book
from jifang.registry_client import RegistryClient
from services.retention import ALEMBIC_INI
from services.retention.checks import RetentionChecker, RetentionMetrics
from services.retention.feed import RecordedFleet
from services.retention.observations import ObservationRepository
from services.retention.partitions import PartitionRepository
from services.retention.reading import ReadLimits
from services.retention.repository import FleetRepository
from services.retention.rules import RuleRepository, longest_requirement_days, rule_rows
from simulator.process import start_fleet_process

CHANNELS = int(os.environ.get("BENCH_RETENTION_CHANNELS", "100000"))
RECORDERS = int(os.environ.get("BENCH_RETENTION_RECORDERS", "1000"))
EVALUATE_TARGET_S, ONVIF_TARGET_S = 5.0, 60.0
rng = random.Random(20261123)


def footage(now: dt.datetime) -> list[asyncpg.Range]:
    """10 to 45 days of footage, a third of the channels with a gap or two."""
    start = now - dt.timedelta(days=rng.uniform(10, 45))
    cuts = sorted(now - dt.timedelta(days=rng.uniform(0.5, 9)) for _ in range(rng.choice([0, 0, 1, 2])))
    out, cursor = [], start
    for cut in cuts:
        if cut <= cursor:
            continue
        out.append(asyncpg.Range(cursor, cut))
        cursor = cut + dt.timedelta(hours=rng.uniform(0.1, 6))
    out.append(asyncpg.Range(cursor, now))
    return out


async def evaluate_bench() -> None:
    name = f"jifang_bench_{uuid.uuid4().hex[:8]}"
    await admin_execute(ADMIN_DSN, f'CREATE DATABASE "{name}"')
    db = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    engine = create_engine(db, 2, "retention-bench")
    try:
        await upgrade_async(ALEMBIC_INI, db)
        maker = create_sessionmaker(engine)
        per_recorder = 10
        recorders = CHANNELS // per_recorder
        units = [
            (uuid.uuid4(), "harbin-2008" if i % 2 else "kunming-2012") for i in range(max(1, recorders // 4))
        ]
        recorder_units = [units[i % len(units)] for i in range(recorders)]
        recorder_ids = [uuid.uuid4() for _ in range(recorders)]
        async with session_scope(maker) as session:
            await RuleRepository(session).replace(*rule_rows(load_policy_book()))
            fleet = FleetRepository(session)
            await fleet.upsert_units(
                [
                    {"unit_id": u, "name": f"单位{i}", "district": f"区{i % 12}", "jurisdiction": j}
                    for i, (u, j) in enumerate(units)
                ]
            )
            await fleet.upsert_devices(
                [
                    {
                        "device_id": r,
                        "unit_id": recorder_units[i][0],
                        "kind": "nvr",
                        "name": f"NVR {i}",
                        "onvif_address": None,
                        "parent_id": None,
                        "channel_no": None,
                        "place_id": None,
                        "system_id": None,
                    }
                    for i, r in enumerate(recorder_ids)
                ]
            )
        now = dt.datetime.now(dt.UTC)
        for round_no, at in enumerate((now - dt.timedelta(days=1), now), start=1):
            check_ids = [uuid.uuid4() for _ in recorder_ids]
            rows: list[dict[str, Any]] = []
            for i, rec in enumerate(recorder_ids):
                for ch in range(1, per_recorder + 1):
                    spans = footage(at)
                    rows.append(
                        {
                            "check_id": check_ids[i],
                            "checked_at": at,
                            "recorder_id": rec,
                            "recording_token": f"Recording_{ch}",
                            "unit_id": recorder_units[i][0],
                            "outcome": "read",
                            "earliest": spans[0].lower,
                            "latest": spans[-1].upper,
                            "footage": spans,
                            "recording_status": "Recording",
                            "max_retention_s": rng.choice([0.0, 30 * 86400.0, 7 * 86400.0]),
                        }
                    )
            async with session_scope(maker) as session:
                await PartitionRepository(session).ensure({at.date()})
            started = time.perf_counter()
            async with session_scope(maker) as session:
                judged = await ObservationRepository(session).record(rows)
            elapsed = time.perf_counter() - started
            assert len(judged) == len(rows), (len(judged), len(rows))
            verdicts: dict[str, int] = {}
            for row in judged:
                verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
            bench(f"retention.evaluate_round{round_no}.channels", len(judged), "channels")
            bench(f"retention.evaluate_round{round_no}.seconds", elapsed, "s")
            bench(f"retention.evaluate_round{round_no}.channels_per_s", len(judged) / elapsed, "channels/s")
            bench(
                f"retention.evaluate_round{round_no}.ratio_to_target",
                elapsed / EVALUATE_TARGET_S,
                "x (target < 1)",
            )
            print(f"  round {round_no} verdicts: {verdicts}", flush=True)
        # Compliance of every channel judged again from the stored spans (as the service does
        # hourly): once after a rule changed (Harbin's 15 days read as 20: many verdicts
        # change), once with nothing changed.
        async with session_scope(maker) as session:
            await session.execute(
                text("UPDATE retention.rules SET days = 20 WHERE jurisdiction = 'harbin-2008'")
            )
        for label in ("rule_changed", "unchanged"):
            started = time.perf_counter()
            async with session_scope(maker) as session:
                changed = await ObservationRepository(session).rejudge()
            elapsed = time.perf_counter() - started
            bench(f"retention.rejudge_{label}.channels", recorders * per_recorder, "channels")
            bench(f"retention.rejudge_{label}.changed", changed, "channels")
            bench(f"retention.rejudge_{label}.seconds", elapsed, "s")
            bench(f"retention.rejudge_{label}.ratio_to_target", elapsed / EVALUATE_TARGET_S, "x (target < 1)")
    finally:
        await engine.dispose()
        await admin_execute(ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def onvif_bench() -> None:
    password = "retention-bench"
    halves = [RECORDERS // 2, RECORDERS - RECORDERS // 2]
    started = [start_fleet_process(n, password, control_port=free_port(), nvr_every=1) for n in halves if n]
    try:
        devices = [d for _, fleet in started for d in fleet]
        async with registry_stack() as stack:
            await asyncio.to_thread(register_fleet, stack, devices, password)
            await upgrade_async(ALEMBIC_INI, stack.db)
            engine = create_engine(stack.db, 4, "retention-bench")
            maker = create_sessionmaker(engine)
            token = stack.token(Role.SERVICE)
            book = load_policy_book()
            async with session_scope(maker) as session:
                await RuleRepository(session).replace(*rule_rows(book))
            registry = RegistryClient(stack.registry_url, token)
            await sync_fleet(maker, RecordedFleet, registry)
            credentials = RegistryCredentials(registry)
            concurrency = 50
            checker = RetentionChecker(
                credentials,
                RetentionMetrics(CollectorRegistry()),
                book,
                window=dt.timedelta(days=longest_requirement_days(book) + 1),
                limits=ReadLimits(),
                concurrency=concurrency,
            )
            async with session_scope(maker) as session:
                recorders = await FleetRepository(session).recorders_due(dt.datetime.now(dt.UTC), RECORDERS)
            assert len(recorders) == RECORDERS, len(recorders)
            t0 = time.perf_counter()
            readings = await checker.read(recorders)
            t_read = time.perf_counter() - t0
            async with session_scope(maker) as session:
                judged = await checker.record(session, readings, 86400)
            total = time.perf_counter() - t0
            verdicts: dict[str, int] = {}
            for row in judged:
                verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
            unverified = sum(not r.result.verified for r in readings)
            bench("retention.onvif.recorders", len(readings), "recorders")
            bench("retention.onvif.concurrency", concurrency, "recorders at once")
            bench("retention.onvif.read_seconds", t_read, "s")
            bench("retention.onvif.total_seconds", total, "s")
            bench("retention.onvif.recorders_per_s", len(readings) / total, "recorders/s")
            bench("retention.onvif.ratio_to_target", total / ONVIF_TARGET_S, "x (target < 1)")
            bench("retention.onvif.cannot_verify", unverified, "recorders")
            print(f"  verdicts: {verdicts}", flush=True)
            await credentials.close()
            await registry.aclose()
            await engine.dispose()
    finally:
        for sim, _ in started:
            sim.terminate()
        for sim, _ in started:
            sim.wait(30)


async def main() -> None:
    await evaluate_bench()
    await onvif_bench()


if __name__ == "__main__":
    asyncio.run(main())
