"""`python -m simulator --devices 50 --control-port 8090`: a fleet for `make run` and manual tests.

Prints one JSON line per device (id, ONVIF address, credentials) and serves the control API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from aiohttp import web

from simulator.device import SimDevice
from simulator.server import Fleet, control_app, describe, recording_index

DEMO_RECORDINGS: list[dict[str, object]] = [
    {"days": 40},
    {"days": 10},
    {"days": 40, "gaps": [[3, 2.5]]},
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--control-port", type=int, default=8090)
    parser.add_argument("--password", default="sim-password")
    parser.add_argument(
        "--nvr-every", type=int, default=10, help="every n-th device is an NVR with footage (1: all)"
    )
    parser.add_argument(
        "--base-port", type=int, default=0, help="device i listens on base+i (0: any free port)"
    )
    args = parser.parse_args()
    fleet = Fleet()
    # The control API binds first: the devices' ephemeral ports cannot take its port then.
    runner = web.AppRunner(control_app(fleet), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.control_port).start()
    devices = [
        SimDevice(
            device_id=f"sim-{i:05d}",
            password=args.password,
            kind="nvr" if i % args.nvr_every == 0 else "camera",
            port=args.base_port + i if args.base_port else 0,
        )
        for i in range(args.devices)
    ]
    for i, dev in enumerate(devices):
        if dev.kind == "nvr":
            # Recorders with footage to check: 40 days, 10 days, 40 days with a 12-hour gap.
            layout = DEMO_RECORDINGS[(i // args.nvr_every) % len(DEMO_RECORDINGS)]
            dev.recordings = recording_index(dev, [layout])
    await fleet.start(devices)
    for dev in fleet.devices.values():
        print(json.dumps(describe(dev)), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await fleet.stop()


if __name__ == "__main__":
    asyncio.run(main())
