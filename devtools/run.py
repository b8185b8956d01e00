"""`make run`: the whole platform on this machine, with defaults.

PostgreSQL at 127.0.0.1:5432 unless DATABASE_URL says otherwise (a private cluster
under .run/ if nothing listens there but PostgreSQL's binaries are installed); the
bundled Kafka-compatible broker on 127.0.0.1:9092 unless KAFKA_BOOTSTRAP_SERVERS is
set; migrations, topics, a dev signing key; then every service on its fixed port.
Ctrl-C stops the services first, then the broker, then the database: every child runs in a
session of its own, so that the terminal's interrupt reaches this runner only.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from devtools.broker import LocalBroker, port_open
from devtools.db import asyncpg_url, create_database_if_missing
from devtools.demo import ensure_demo_fleet
from devtools.keys import RUN_DIR, ensure_dev_signing_key
from devtools.monitoring import GRAFANA_PORT, PROMETHEUS_PORT, start_grafana, start_prometheus
from devtools.tokens import dev_token
from jifang.auth import Role
from jifang.kafka import ensure_topics
from jifang.migrate import upgrade_async
from jifang.secrets import generate_key_b64
from jifang.topics import catalogue
from simulator.process import start_fleet_process

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/jifang"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    env_prefix: str
    alembic_ini: Path | None


# Fixed ports: gateway 8000, registry 8001, ingest 8002, retention 8003.
SERVICES = [
    ServiceSpec("gateway", "services.gateway", 8000, "GATEWAY_", ROOT / "services/gateway/alembic.ini"),
    ServiceSpec("registry", "services.registry", 8001, "REGISTRY_", ROOT / "services/registry/alembic.ini"),
    ServiceSpec("ingest", "services.ingest", 8002, "INGEST_", ROOT / "services/ingest/alembic.ini"),
    ServiceSpec(
        "retention", "services.retention", 8003, "RETENTION_", ROOT / "services/retention/alembic.ini"
    ),
]
DEMO_DEVICES = int(os.environ.get("JIFANG_DEMO_DEVICES", "50"))
SIM_BASE_PORT, SIM_CONTROL_PORT = 20000, 8090


def say(msg: str) -> None:
    print(f"[jifang] {msg}", flush=True)


class Stage(IntEnum):
    """What a child is; Ctrl-C stops them in this order (what uses the broker and the
    database first, the database last)."""

    SERVICE = 0
    TOOL = 1  # the simulated fleet, Prometheus, Grafana
    BROKER = 2
    DATABASE = 3


@dataclass
class Supervisor:
    """The runner's children. Each must be started in a session of its own
    (``start_new_session=True``): a terminal's Ctrl-C goes to its whole foreground process
    group, which would stop the broker and the database while the services still use them."""

    grace_s: float = 15.0
    children: list[tuple[Stage, str, subprocess.Popen[Any]]] = field(default_factory=list)
    _stop: asyncio.Event | None = field(default=None, init=False)

    def add(self, stage: Stage, name: str, process: subprocess.Popen[Any]) -> None:
        self.children.append((stage, name, process))

    def listen(self) -> asyncio.Event:
        """From now on Ctrl-C (SIGINT), SIGTERM and SIGHUP ask for an orderly stop (instead of
        interrupting the event loop); the event is set when one arrives."""
        if self._stop is None:
            self._stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self._stop.set)
        return self._stop

    async def wait(self) -> None:
        """Until Ctrl-C (SIGINT), SIGTERM or SIGHUP reaches this process, or a child exits."""
        stop = self.listen()
        while not stop.is_set():
            for _, name, proc in self.children:
                if proc.poll() is not None:
                    say(f"{name} exited with {proc.returncode}: stopping everything")
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    def stop(self) -> None:
        """Stage by stage: SIGTERM to every child of the stage, SIGKILL to those still running
        after the grace; the next stage once all of this one have exited."""
        for stage in sorted({stage for stage, _, _ in self.children}):
            running = [(n, p) for s, n, p in self.children if s == stage and p.poll() is None]
            for _, proc in running:
                proc.terminate()
            deadline = time.monotonic() + self.grace_s
            for name, proc in running:
                try:
                    proc.wait(max(deadline - time.monotonic(), 0))
                except subprocess.TimeoutExpired:
                    say(f"{name} did not stop within {self.grace_s:g} s: killed")
                    proc.kill()
                    proc.wait()
                say(f"{name} stopped")


def spawn(args: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """A child of its own session, for the :class:`Supervisor` to stop."""
    return subprocess.Popen(args, start_new_session=True, **popen)


def start_monitoring() -> list[tuple[str, subprocess.Popen[Any]]]:
    """Prometheus scraping every service (with the alerts), Grafana with the dashboards."""
    started: list[tuple[str, subprocess.Popen[Any]]] = []
    targets = {spec.name: spec.port for spec in SERVICES}
    prometheus = start_prometheus(RUN_DIR / "prometheus", targets)
    if prometheus is None:
        say("MONITORING: Prometheus is not installed (apt-get install prometheus): skipped")
        return started
    started.append(("prometheus", prometheus))
    say(f"Prometheus on http://127.0.0.1:{PROMETHEUS_PORT} scraping {', '.join(targets)} (alerts loaded)")
    grafana = start_grafana(RUN_DIR / "grafana", f"http://127.0.0.1:{PROMETHEUS_PORT}")
    if grafana is None:
        say("Grafana is not installed: the dashboards (deploy/k8s/base/monitoring/dashboards) not served")
    else:
        started.append(("grafana", grafana))
        say(f"Grafana on http://127.0.0.1:{GRAFANA_PORT} (admin/admin), folder Jifang")
    return started


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def start_private_postgres(run_dir: Path, port: int) -> subprocess.Popen[bytes] | None:
    """A throw-away cluster with trust auth on 127.0.0.1, owned by the current user."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not (initdb and postgres):
        return None
    data = run_dir / "pgdata"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        args = [initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(data, "postgres")
            args = ["runuser", "-u", "postgres", "--", *args]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    cmd = [postgres, "-D", str(data), "-p", str(port), "-h", "127.0.0.1", "-k", str(data)]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    log = open(run_dir / "postgres.log", "ab")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def ensure_database(url: str) -> None:
    parts = urlsplit(asyncpg_url(url))
    admin = urlunsplit(parts._replace(path="/postgres"))
    for _ in range(50):  # a cluster just started needs a moment
        try:
            created = await create_database_if_missing(admin, parts.path.lstrip("/"))
            break
        except (OSError, asyncpg.CannotConnectNowError):
            await asyncio.sleep(0.2)
    else:
        raise RuntimeError(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port}")
    if created:
        say(f"created database {parts.path.lstrip('/')}")


async def wait_ready(url: str, timeout: float = 60) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(int(timeout * 5)):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


async def main() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    supervisor = Supervisor()
    try:
        db_url = await start_database(supervisor)
        if db_url is None:
            return 1
        bootstrap = await start_broker(supervisor)
        env = {**os.environ, **service_environment(db_url, bootstrap)}
        demo: list[dict[str, object]] = []
        if DEMO_DEVICES:
            sim, demo = start_fleet_process(
                DEMO_DEVICES,
                "demo-password",
                control_port=SIM_CONTROL_PORT,
                base_port=SIM_BASE_PORT,
                cwd=ROOT,
            )
            supervisor.add(Stage.TOOL, "simulator", sim)
            say(
                f"simulated ONVIF fleet: {DEMO_DEVICES} devices on 127.0.0.1:{SIM_BASE_PORT}+, "
                f"control API on http://127.0.0.1:{SIM_CONTROL_PORT}/devices"
            )
        await start_services(supervisor, db_url, env, demo)
        if os.environ.get("JIFANG_MONITORING", "") not in ("", "0"):
            for name, proc in start_monitoring():
                supervisor.add(Stage.TOOL, name, proc)
        say("tokens for every role: `make tokens` (UNIT_ID=<id> binds the unit_admin one). Ctrl-C stops.")

        await supervisor.wait()
        return 0
    finally:
        # Also after a failed start or a Ctrl-C during it (asyncio.run cancels this task).
        supervisor.stop()


async def start_database(supervisor: Supervisor) -> str | None:
    """The configured PostgreSQL, or a private cluster under .run/ if nothing listens on the
    default port; the database created. None if there is none to be had."""
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    host = urlsplit(db_url).hostname or "127.0.0.1"
    port = urlsplit(db_url).port or 5432
    if "DATABASE_URL" not in os.environ and not port_open(host, port):
        pg = start_private_postgres(RUN_DIR.resolve(), port)
        if pg is None:
            say("nothing listens on 127.0.0.1:5432 and PostgreSQL is not installed")
            return None
        supervisor.add(Stage.DATABASE, "postgres", pg)
        say(f"started a private PostgreSQL cluster under {RUN_DIR}/pgdata")
    await ensure_database(db_url)
    return db_url


async def start_broker(supervisor: Supervisor) -> str:
    """The configured broker, or the bundled one on 127.0.0.1:9092; the topics created."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        if port_open("127.0.0.1", 9092):
            say("something already listens on 127.0.0.1:9092: using it as the broker")
        else:
            broker = LocalBroker(9092, RUN_DIR / "broker.log")
            try:
                broker.start()
            finally:
                if broker.process is not None:
                    supervisor.add(Stage.BROKER, "broker", broker.process)
            say("started the bundled Kafka-compatible broker (Tansu) on 127.0.0.1:9092")
        bootstrap = "127.0.0.1:9092"
    created = await ensure_topics(bootstrap, catalogue().values())
    say(f"topics ready ({', '.join(created) or 'all existed'})")
    return bootstrap


def _dev_secret(name: str) -> str:
    """A development secret under .run/, made on first use."""
    path = RUN_DIR / name
    if not path.exists():
        path.write_text(generate_key_b64())
        path.chmod(0o600)
    return path.read_text().strip()


def service_environment(db_url: str, bootstrap: str) -> dict[str, str]:
    """What every service is started with: the database, the broker, the development keys and
    the service tokens."""
    private_pem, _ = ensure_dev_signing_key()
    _dev_secret("registry-credentials.key")
    return {
        "DATABASE_URL": db_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "JWT_PUBLIC_KEY_FILE": str(RUN_DIR / "dev-signing-key.pub.pem"),
        "PYTHONUNBUFFERED": "1",
        # Ingest reads device credentials from the registry as a `service`.
        "INGEST_SERVICE_TOKEN": dev_token(private_pem, "ingest", Role.SERVICE, timedelta(days=30)),
        "GATEWAY_SERVICE_TOKEN": dev_token(private_pem, "gateway", Role.SERVICE, timedelta(days=30)),
        "GATEWAY_GRANT_KEY": _dev_secret("gateway-grant.key"),
        "RETENTION_SERVICE_TOKEN": dev_token(private_pem, "retention", Role.SERVICE, timedelta(days=30)),
        # The demo's recorders get their first check within a minute (a city: within the
        # default 10 minutes), then one a day.
        "RETENTION_FIRST_CHECK_SPREAD_S": os.environ.get("RETENTION_FIRST_CHECK_SPREAD_S", "60"),
    }


async def start_services(
    supervisor: Supervisor, db_url: str, env: dict[str, str], demo: list[dict[str, object]]
) -> None:
    """Each service migrated and started in turn; the demo fleet registered once the registry is up."""
    for spec in SERVICES:
        if spec.alembic_ini:
            await upgrade_async(spec.alembic_ini, db_url)
            say(f"{spec.name}: migrations applied")
        proc = spawn(
            [sys.executable, "-m", spec.module],
            env={**env, f"{spec.env_prefix}PORT": str(spec.port)},
            cwd=ROOT,
        )
        supervisor.add(Stage.SERVICE, spec.name, proc)
        say(f"{spec.name} on http://127.0.0.1:{spec.port} (docs at /docs)")
        if spec.name == "registry" and demo:
            await wait_ready(f"http://127.0.0.1:{spec.port}")
            private_pem, _ = ensure_dev_signing_key()
            tech = dev_token(private_pem, "make-run", Role.TECH_OFFICE, timedelta(minutes=10))
            added = await asyncio.to_thread(ensure_demo_fleet, f"http://127.0.0.1:{spec.port}", tech, demo)
            say(f"demo fleet registered ({added} new devices)")


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:  # Ctrl-C while starting: stopped all the same
        sys.exit(130)
