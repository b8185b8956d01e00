"""`make bench` (ingest part): CPU time per full device poll, the lean client against a plain
onvif-zeep-async client making the same calls, side by side against one simulated fleet
running in a separate process (so that only the client's CPU is counted).

A poll: GetSystemDateAndTime, GetDeviceInformation, GetServices, GetProfiles, GetStreamUri.
Target (issue 3): at least 5 times less CPU per poll than the baseline.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import tracemalloc
from typing import Any

from onvif import ONVIFCamera

from devtools.broker import free_port
from jifang.onvif import OnvifClient
from simulator.process import start_fleet_process

N = int(os.environ.get("BENCH_POLL_DEVICES", "200"))
ROUNDS = 3
STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


def bench(figure: str, value: float, unit: str) -> None:
    print(f"BENCH {figure} {value:.6g} {unit}", flush=True)


async def lean_poll(c: OnvifClient) -> None:
    await c.get_system_date_and_time()
    await c.get_device_information()
    await c.get_services()
    profiles = await c.get_profiles()
    await c.get_stream_uri(profiles[0].token)


async def zeep_poll(cam: ONVIFCamera) -> None:
    dm = await cam.create_devicemgmt_service()
    await dm.GetSystemDateAndTime()
    await dm.GetDeviceInformation()
    await dm.GetServices(False)
    media = await cam.create_media_service()
    profiles = await media.GetProfiles()
    await media.GetStreamUri({"StreamSetup": STREAM_SETUP, "ProfileToken": profiles[0].token})


async def cpu_per_poll(polls: Any, clients: list[Any]) -> float:
    await asyncio.gather(*(polls(c) for c in clients))  # warm: connections, caches
    started = time.process_time()
    for _ in range(ROUNDS):
        await asyncio.gather(*(polls(c) for c in clients))
    return (time.process_time() - started) / (ROUNDS * len(clients)) * 1000


async def main() -> int:
    sim, devices = start_fleet_process(N, "bench", control_port=free_port())
    try:
        lean_clients = [OnvifClient(d["onvif_address"], "admin", "bench") for d in devices]
        lean = await cpu_per_poll(lean_poll, lean_clients)
        for c in lean_clients:
            c.close()
        # Memory per watched device, measured apart (tracing slows everything down).
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        lean_clients = [OnvifClient(d["onvif_address"], "admin", "bench") for d in devices]
        await asyncio.gather(*(lean_poll(c) for c in lean_clients))
        per_device = (tracemalloc.get_traced_memory()[0] - before) / N
        tracemalloc.stop()
        cams = [ONVIFCamera("127.0.0.1", d["port"], "admin", "bench", adjust_time=True) for d in devices]
        for cam in cams:
            await cam.update_xaddrs()
        zeep = await cpu_per_poll(zeep_poll, cams)
        for cam in cams:
            await cam.close()
        for c in lean_clients:
            c.close()
        bench("poll_cpu_lean", lean, "ms/poll")
        bench("poll_cpu_onvif_zeep_async", zeep, "ms/poll")
        bench("poll_cpu.ratio", zeep / lean, "x")
        bench("poll_cpu_vs_target_5x", (zeep / lean) / 5, "ratio")
        bench("lean_client_memory_per_device", per_device / 1024, "KiB")
        return 0
    finally:
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
