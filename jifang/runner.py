"""The one base for long-running loops (outbox relays, pollers, consumers, checkers).

A loop implements :meth:`LongRunningService.run_once`; the base gives it start,
stop, SIGTERM handling, exponential backoff after failures and a health view.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass


@dataclass
class LoopHealth:
    running: bool
    iterations: int
    consecutive_failures: int
    last_success_monotonic: float | None
    last_error: str | None

    @property
    def healthy(self) -> bool:
        return self.running and self.consecutive_failures == 0


class LongRunningService(ABC):
    name: str = "loop"
    max_backoff_s: float = 30.0

    def __init__(self) -> None:
        self.log = logging.getLogger(f"jifang.loop.{self.name}")
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._iterations = 0
        self._failures = 0
        self._last_success: float | None = None
        self._last_error: str | None = None

    @abstractmethod
    async def run_once(self) -> float:
        """Do one unit of work; return how long to wait before the next one."""

    async def on_stop(self) -> None:
        """Release resources once the loop has ended."""

    def wake(self) -> None:
        """Cut the current wait short: new work is there."""
        self._wake.set()

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self, timeout: float = 10.0) -> None:
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        await self.on_stop()

    def health(self) -> LoopHealth:
        return LoopHealth(
            running=self._task is not None and not self._task.done(),
            iterations=self._iterations,
            consecutive_failures=self._failures,
            last_success_monotonic=self._last_success,
            last_error=self._last_error,
        )

    def backoff(self) -> float:
        return float(min(self.max_backoff_s, 0.5 * 2 ** min(self._failures, 10)))

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = await self.run_once()
                self._failures = 0
                self._last_success = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failures += 1
                self._last_error = f"{type(exc).__name__}: {exc}"
                delay = self.backoff()
                self.log.warning(
                    "iteration failed",
                    extra={
                        "error": self._last_error,
                        "failures": self._failures,
                        "retry_in_s": delay,
                    },
                )
            self._iterations += 1
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def run_until_signalled(self) -> None:
        """Run as a standalone process: stop cleanly on SIGTERM or SIGINT."""
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        await self.start()
        await done.wait()
        await self.stop()


@contextlib.asynccontextmanager
async def running(loops: Sequence[LongRunningService]) -> AsyncIterator[None]:
    """A service's loops for the life of its process: started in order, stopped in reverse.

    Start-up objects (models, schemas, packs) then live as long as the process: they are
    kept out of the cyclic collector, whose full passes over them showed as latency spikes.
    """
    started: list[LongRunningService] = []
    try:
        for loop in loops:
            await loop.start()
            started.append(loop)
        gc.collect()
        gc.freeze()
        yield
    finally:
        for loop in reversed(started):
            await loop.stop()
