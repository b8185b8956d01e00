"""`make run`'s supervisor: a terminal's Ctrl-C stops the services first, then the tools (the
simulated fleet, monitoring), then the broker, then the database.

A runner is started as a terminal starts a foreground job (the leader of its own process
group) with the real bundled broker and stand-ins for the others; the test then interrupts the
whole group as Ctrl-C does. Each stand-in writes down, when told to stop, by which signal and
which of the processes it depends on still answered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from devtools.broker import free_port

ROOT = Path(__file__).resolve().parents[2]

# A stand-in: listens on its port (if any) like the process it stands for, and on SIGTERM or
# SIGINT writes "<name> <signal> <ports of its dependencies that still accept connections>".
STAND_IN = """
import signal, socket, sys, time

name, log, port, *needs = sys.argv[1:]
server = socket.create_server(("127.0.0.1", int(port))) if port != "0" else None


def answers(p):
    try:
        socket.create_connection(("127.0.0.1", int(p)), timeout=0.5).close()
        return True
    except OSError:
        return False


def stopping(signum, frame):
    up = ",".join(p for p in needs if answers(p))
    with open(log, "a") as fh:
        fh.write(f"{name} {signal.Signals(signum).name} {up}\\n")
    time.sleep(0.3)  # a shutdown takes a moment
    sys.exit(0)


signal.signal(signal.SIGTERM, stopping)
signal.signal(signal.SIGINT, stopping)
print("ready", flush=True)
while True:
    time.sleep(1)
"""

# The runner: what devtools.run.main does with its children, with stand-ins but the real broker.
RUNNER = """
import asyncio, subprocess, sys

from devtools.broker import LocalBroker
from devtools.run import Stage, Supervisor, spawn

stand_in, log, broker, database, simulator = sys.argv[1:]


def start(name, port, *needs):
    proc = spawn([sys.executable, stand_in, name, log, port, *needs], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\\n"
    return proc


async def main():
    supervisor = Supervisor(grace_s=10)
    try:
        supervisor.add(Stage.DATABASE, "database", start("database", database, broker))
        local = LocalBroker(int(broker))
        local.start()
        supervisor.add(Stage.BROKER, "broker", local.process)
        supervisor.add(Stage.TOOL, "simulator", start("simulator", simulator, broker, database))
        for name in ("gateway", "registry", "ingest"):
            supervisor.add(Stage.SERVICE, name, start(name, "0", broker, database, simulator))
        supervisor.listen()  # as wait() does; before the word, so that Ctrl-C finds it
        print("started", flush=True)
        await supervisor.wait()
    finally:
        supervisor.stop()


asyncio.run(main())
"""


def test_ctrl_c_stops_services_then_tools_then_broker_then_database(tmp_path: Path) -> None:
    (tmp_path / "stand_in.py").write_text(STAND_IN)
    (tmp_path / "runner.py").write_text(RUNNER)
    log = tmp_path / "stopped.log"
    broker, database, simulator = (str(free_port()) for _ in range(3))
    scripts = [str(tmp_path / "runner.py"), str(tmp_path / "stand_in.py")]
    runner = subprocess.Popen(
        [sys.executable, *scripts, str(log), broker, database, simulator],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a terminal's foreground job: the leader of its own group
    )
    try:
        assert runner.stdout is not None
        for line in runner.stdout:
            if line == "started\n":
                break
        else:
            raise AssertionError(f"the runner did not start: exit {runner.wait()}")
        os.killpg(runner.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        assert runner.wait(60) == 0
        stopped = runner.stdout.read()
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)

    lines = [line.split(" ") for line in log.read_text().splitlines()]
    # Only the runner got the interrupt; each child was told by the runner, in order.
    assert {signal_name for _, signal_name, _ in lines} == {"SIGTERM"}
    order = [name for name, _, _ in lines]
    assert sorted(order[:3]) == ["gateway", "ingest", "registry"]
    assert order[3:] == ["simulator", "database"]
    up = {name: set(ports.split(",")) - {""} for name, _, ports in lines}
    for service in ("gateway", "registry", "ingest"):
        assert up[service] == {broker, database, simulator}, "a service stopping still has what it uses"
    assert up["simulator"] == {broker, database}
    assert up["database"] == set(), "the broker had stopped before the database"
    said = [line.removeprefix("[jifang] ") for line in stopped.splitlines()]
    assert said[-2:] == ["broker stopped", "database stopped"]
