"""`make bench` (ingest at scale): one ingest poller holding 10,000 devices at a 60 s interval.

The platform is real around it: a scratch database, the bundled broker, a registry process
holding the 10,000 devices (imported by CSV, credentials encrypted), ingest's mirror filled by
its start-up reconciliation from the registry's API, credentials fetched from the registry at
each device's first poll, every health sample published to the broker. The devices are two
simulator processes of 5,000 each (a process may hold 20,000 file descriptors here).

Figures: poll start lag (how late a poll began after it was due) p50/p99/max over the
measured intervals after one warm-up interval (target: p99 under 5 s), polls per second,
the poller process's CPU per poll, and its memory per watched device. Events are on, as
deployed: every device also holds a PullPoint subscription (BENCH_SCALE_EVENTS=0: off).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import time
from typing import Any

from prometheus_client import CollectorRegistry

from bench.fleet import register_fleet
from bench.registry_bench import bench
from bench.stack import Stack, registry_stack
from devtools.broker import free_port
from jifang.auth import Role
from jifang.credentials import RegistryCredentials
from jifang.db import create_engine, create_sessionmaker
from jifang.kafka import create_producer
from jifang.migrate import upgrade_async
from jifang.mirror import sync_fleet
from jifang.policy import load_policy_book
from jifang.publisher import BufferedPublisher, PublisherMetrics
from jifang.registry_client import RegistryClient
from services.ingest import ALEMBIC_INI
from services.ingest.alarms import PullPointSettings
from services.ingest.feed import WatchedFleet
from services.ingest.poller import DevicePoller, PollerMetrics
from services.ingest.settings import IngestSettings
from simulator.process import start_fleet_process

N = int(os.environ.get("BENCH_SCALE_DEVICES", "10000"))
SIMULATORS = 2
INTERVAL_S = float(os.environ.get("BENCH_SCALE_INTERVAL_S", "60"))
MEASURED_INTERVALS = int(os.environ.get("BENCH_SCALE_INTERVALS", "2"))
EVENTS = os.environ.get("BENCH_SCALE_EVENTS", "1") == "1"


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def main() -> int:
    password = "scale-bench"
    per_sim = N // SIMULATORS
    started = [start_fleet_process(per_sim, password, control_port=free_port()) for _ in range(SIMULATORS)]
    sims = [sim for sim, _ in started]
    try:
        devices = [d for _, fleet in started for d in fleet]
        async with registry_stack() as stack:
            await asyncio.to_thread(register_fleet, stack, devices, password)
            await upgrade_async(ALEMBIC_INI, stack.db)
            engine = create_engine(stack.db, 4, "ingest-bench")
            maker = create_sessionmaker(engine)
            service_token = stack.token(Role.SERVICE)
            async with RegistryClient(stack.registry_url, service_token) as registry:
                synced = await sync_fleet(maker, WatchedFleet, registry)
            assert synced.devices == len(devices), synced
            await measure(maker, stack, service_token)
            await engine.dispose()
        return 0
    finally:
        for sim in sims:
            sim.terminate()
        for sim in sims:
            sim.wait(30)


async def measure(maker: Any, stack: Stack, service_token: str) -> None:
    registry = CollectorRegistry()
    registry_client = RegistryClient(stack.registry_url, service_token)
    publisher = BufferedPublisher(
        lambda: create_producer(stack.broker.bootstrap, enable_idempotence=False, compression_type="gzip"),
        PublisherMetrics(registry, "ingest"),
    )
    metrics = PollerMetrics(registry)
    lags: list[tuple[float, float]] = []  # (when, lag)
    observe = metrics.start_lag.observe

    def recording(lag: float, exemplar: Any = None) -> None:
        lags.append((time.monotonic(), lag))
        observe(lag)

    metrics.start_lag.observe = recording  # type: ignore[method-assign,assignment]
    poller = DevicePoller(
        sessionmaker=maker,
        book=load_policy_book(),
        credentials=RegistryCredentials(registry_client),
        publisher=publisher,
        metrics=metrics,
        interval_s=INTERVAL_S,
        concurrency=IngestSettings.model_fields["poll_concurrency"].default,  # as deployed
        pull_point=PullPointSettings() if EVENTS else None,
    )
    rss_before = rss_kib()
    await publisher.start()
    await poller.start()
    started = time.monotonic()
    await asyncio.sleep(INTERVAL_S)  # warm-up: first polls spread over one interval
    cpu0, t0, n0 = time.process_time(), time.monotonic(), len(lags)
    await asyncio.sleep(INTERVAL_S * MEASURED_INTERVALS)
    cpu1, t1, n1 = time.process_time(), time.monotonic(), len(lags)
    rss_after = rss_kib()
    subscriptions = registry.get_sample_value("ingest_event_subscriptions_active") or 0
    await poller.stop()
    await publisher.stop()
    await registry_client.aclose()
    measured = sorted(lag for when, lag in lags if when >= started + INTERVAL_S)
    polls = n1 - n0
    ok = registry.get_sample_value("ingest_polls_total", {"result": "ok"}) or 0
    failed = sum(
        registry.get_sample_value("ingest_polls_total", {"result": r}) or 0
        for r in ("timeout", "unreachable", "auth_failure", "soap_fault", "malformed")
    )
    p99 = measured[int(len(measured) * 0.99)] if measured else float("nan")
    tag = "_events" if EVENTS else ""
    bench(f"scale{tag}_devices", N, "devices")
    bench(f"scale{tag}_poll_interval", INTERVAL_S, "s")
    bench(f"scale{tag}_polls_measured", polls, "polls")
    bench(f"scale{tag}_polls_per_second", polls / (t1 - t0), "polls/s")
    bench(f"scale{tag}_polls_failed_share", failed / max(1, ok + failed), "ratio")
    bench(f"scale{tag}_poll_start_lag_p50", statistics.median(measured) if measured else float("nan"), "s")
    bench(f"scale{tag}_poll_start_lag_p99", p99, "s")
    bench(f"scale{tag}_poll_start_lag_max", measured[-1] if measured else float("nan"), "s")
    bench(f"scale{tag}_poll_start_lag_p99_vs_target_5s", p99 / 5, "ratio")
    bench(f"scale{tag}_poller_cpu_per_poll", (cpu1 - cpu0) / max(1, polls) * 1000, "ms/poll")
    bench(f"scale{tag}_poller_cpu_share", (cpu1 - cpu0) / (t1 - t0), "cores")
    bench(f"scale{tag}_poller_memory_per_device", (rss_after - rss_before) / N, "KiB")
    if EVENTS:
        bench("scale_events_subscriptions", subscriptions, "subscriptions")
    bench(f"scale{tag}_open_files_limit", resource.getrlimit(resource.RLIMIT_NOFILE)[0], "fds")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
