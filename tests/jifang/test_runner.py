"""The long-running-service base: runs, backs off after failures, reports health, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal

from jifang.runner import LongRunningService


class Flaky(LongRunningService):
    name = "flaky"
    max_backoff_s = 0.05

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures_left = failures
        self.calls = 0
        self.stopped = False

    async def run_once(self) -> float:
        self.calls += 1
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("device unreachable")
        return 0.01

    async def on_stop(self) -> None:
        self.stopped = True


async def test_failures_back_off_then_recover() -> None:
    loop = Flaky(failures=3)
    await loop.start()
    await asyncio.sleep(0.05)
    mid = loop.health()
    for _ in range(100):
        if loop.health().healthy and loop.calls > 5:
            break
        await asyncio.sleep(0.01)
    health = loop.health()
    await loop.stop()
    assert mid.running
    assert health.healthy and health.consecutive_failures == 0
    assert health.last_error == "RuntimeError: device unreachable"
    assert loop.stopped and not loop.health().running


async def test_backoff_grows_and_is_capped() -> None:
    loop = Flaky(failures=0)
    loop.max_backoff_s = 30
    steps = []
    for n in range(1, 9):
        loop._failures = n
        steps.append(loop.backoff())
    assert steps == sorted(steps) and steps[0] == 1.0 and steps[-1] == 30


async def test_sigterm_stops_it_cleanly() -> None:
    loop = Flaky(failures=0)
    runner = asyncio.create_task(loop.run_until_signalled())
    await asyncio.sleep(0.05)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(runner, 5)
    assert loop.stopped and loop.calls > 1
    asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
