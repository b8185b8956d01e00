"""Two ingest processes split the fleet through their consumer group: no device is polled by
both, and when one is killed (SIGKILL, no goodbye) the other takes over all of its devices."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devtools.broker import free_port
from jifang.auth import Role
from jifang.kafka import partition_of
from jifang.topics import HEALTH_TOPIC
from jifang.v1 import ingest_pb2
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.ingest.conftest import register_fleet, tail_topics
from tests.services.registry.factories import create_unit

PARTITIONS = 6  # of jifang.registry.v1 (proto/topics.yaml)


def start_replica(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.ingest"],
            env={**os.environ, **env, "INGEST_PORT": str(port), "INGEST_LOG_LEVEL": "WARNING"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _tails(logs: list[Path]) -> list[str]:
    return [log.read_text(errors="replace")[-2000:] for log in logs]


class HealthWatch:
    """The health samples of our devices as they arrive: which replica polled which device."""

    def __init__(self, tail: AIOKafkaConsumer, ours: set[str]) -> None:
        self.tail, self.ours = tail, ours
        self.samples: list[tuple[float, str, str]] = []  # (received at, device, instance)

    async def collect(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for records in (await self.tail.getmany(timeout_ms=200)).values():
                for r in records:
                    s = ingest_pb2.HealthSample.FromString(r.value)
                    if s.device_id in self.ours:
                        self.samples.append((time.monotonic(), s.device_id, s.meta.instance))

    def owners(self, since: float) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for at, device, instance in self.samples:
            if at >= since:
                out[device].add(instance)
        return out

    def polls(self, since: float) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for at, device, _ in self.samples:
            if at >= since:
                out[device] += 1
        return out


async def one_device_per_partition(
    client: httpx.AsyncClient, tech: dict[str, str], fleet: Fleet
) -> dict[str, str]:
    """One device per unit, and units until every partition of the registry topic holds one:
    whichever partitions a replica gets, it has devices to poll."""
    ids: dict[str, str] = {}
    covered: set[int] = set()
    while len(covered) < PARTITIONS:
        unit = await create_unit(client, tech)
        covered.add(partition_of(unit["id"].encode(), PARTITIONS))
        sim = await fleet.add(SimDevice(f"rep-{len(ids)}", password="pw", events=False))
        one = Fleet.__new__(Fleet)  # register just this device
        one.devices = {sim.device_id: sim}
        ids.update(await register_fleet(client, tech, unit["id"], one))
    return ids


def stop_all(replicas: list[subprocess.Popen[bytes]]) -> None:
    for p in replicas:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in replicas:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


async def test_two_replicas_split_the_fleet_and_survive_a_kill(
    registry_app: FastAPI,
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    database_url: str,
    ingest_maker: async_sessionmaker[AsyncSession],  # the ingest schema, migrated
    bootstrap: str,
    tmp_path: Path,
) -> None:
    fleet = Fleet()
    await fleet.start()
    ours = set((await one_device_per_partition(client, auth(token(Role.TECH_OFFICE)), fleet)).values())
    tail = await tail_topics(bootstrap, [HEALTH_TOPIC])
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "INGEST_REGISTRY_URL": registry_url,
        "INGEST_SERVICE_TOKEN": token(Role.SERVICE),
        "INGEST_CONSUMER_GROUP": f"ingest-replicas-{uuid.uuid4().hex[:6]}",
        "INGEST_POLL_INTERVAL_S": "1",
        "INGEST_SESSION_TIMEOUT_MS": "6000",
        "INGEST_EVENTS_ENABLED": "false",
    }
    logs = [tmp_path / f"replica-{i}.log" for i in range(2)]
    replicas = [start_replica(env, free_port(), log) for log in logs]
    watch = HealthWatch(tail, ours)
    try:
        # Steady state: every device polled, each by exactly one replica, both replicas busy.
        deadline = time.monotonic() + 60
        while True:
            window = time.monotonic()
            await watch.collect(4)
            seen = watch.owners(window)
            one_each = set(seen) == ours and all(len(i) == 1 for i in seen.values())
            if one_each and len(set().union(*seen.values())) == 2:
                break
            assert time.monotonic() < deadline, ({d: sorted(i) for d, i in seen.items()}, _tails(logs))
        # One poll a second for four seconds: never twice that (polled by both).
        assert max(watch.polls(window).values()) <= 6, watch.polls(window)
        instances = {i for s in seen.values() for i in s}
        victim = next(i for i in instances if i.endswith(f"/{replicas[1].pid}"))
        survivor = next(i for i in instances if i != victim)
        orphans = {d for d, i in seen.items() if i == {victim}}
        assert orphans and orphans != ours

        replicas[1].send_signal(signal.SIGKILL)
        replicas[1].wait()
        killed_at = time.monotonic()
        # After the session timeout (6 s) the group gives the survivor every partition.
        while True:
            await watch.collect(1)
            after = watch.owners(killed_at + 1)
            if set(after) == ours and all(i == {survivor} for i in after.values()):
                break
            assert time.monotonic() - killed_at < 30, {d: sorted(i) for d, i in after.items()}
        assert time.monotonic() - killed_at < 20
    finally:
        stop_all(replicas)
        await tail.stop()
        await fleet.stop()
    await asyncio.sleep(0)
