"""Police operators follow live alarms over Server-Sent Events, filtered by district; a client
that reconnects with Last-Event-ID gets exactly what it missed, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from devtools.broker import free_port
from jifang.auth import Role
from jifang.events import event_meta
from jifang.kafka import create_producer
from jifang.topics import ALARM_TOPIC
from jifang.v1 import ingest_pb2
from services.gateway.app import create_app
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import gateway_settings, serve


@pytest.fixture
async def gateway_url(
    migrated: str, bootstrap: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[str]:
    app = create_app(gateway_settings(migrated, bootstrap, registry_url, token, signing_keys))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag only
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    server.force_exit = True  # open event streams do not end by themselves
    await task


def alarm(district: str, device: str) -> bytes:
    event = ingest_pb2.AlarmEvent(
        meta=event_meta("ingest", "harbin-2008"),
        device_id=device,
        unit_id=str(uuid.uuid4()),
        district=district,
        kind=ingest_pb2.ALARM_KIND_TAMPER,
        active=True,
    )
    return event.SerializeToString()


async def read_events(lines: AsyncIterator[str], n: int) -> tuple[list[dict[str, Any]], str]:
    """The next ``n`` alarms and the id of the last one."""
    events: list[dict[str, Any]] = []
    last_id, data = "", None
    async with asyncio.timeout(20):
        async for line in lines:
            if line.startswith("id: "):
                last_id = line[4:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                events.append(data)
                data = None
                if len(events) == n:
                    return events, last_id
    raise AssertionError("the stream ended")


async def first_id(lines: AsyncIterator[str]) -> str:
    async with asyncio.timeout(20):
        async for line in lines:
            if line.startswith("id: "):
                return line[4:]
    raise AssertionError("no id")


async def test_follow_alarms_and_resume(gateway_url: str, bootstrap: str, token: TokenFactory) -> None:
    district = f"道里区-{uuid.uuid4().hex[:6]}"
    headers = auth(token(Role.POLICE_OPERATOR))
    params = {"district": district}
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as c:
            unit_admin = auth(token(Role.UNIT_ADMIN, unit_id=uuid.uuid4()))
            assert (await c.get("/api/v1/alarms/stream", headers=unit_admin)).status_code == 403
            async with c.stream("GET", "/api/v1/alarms/stream", params=params, headers=headers) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                lines = r.aiter_lines()
                await first_id(lines)
                for device in ("d1", "other", "d2"):
                    where = district if device != "other" else "别的区"
                    await producer.send_and_wait(ALARM_TOPIC, alarm(where, device), key=device.encode())
                events, last_id = await read_events(lines, 2)
            assert sorted(e["deviceId"] for e in events) == ["d1", "d2"]  # no order across devices
            assert events[0]["kind"] == "ALARM_KIND_TAMPER" and events[0]["district"] == district
            # Disconnected: two more alarms; the reconnection gets exactly those.
            for device in ("d3", "d4"):
                await producer.send_and_wait(ALARM_TOPIC, alarm(district, device), key=device.encode())
            resumed = {**headers, "Last-Event-ID": last_id}
            async with c.stream("GET", "/api/v1/alarms/stream", params=params, headers=resumed) as r:
                missed, _ = await read_events(r.aiter_lines(), 2)
            assert sorted(e["deviceId"] for e in missed) == ["d3", "d4"]
            bad = await c.get("/api/v1/alarms/stream", headers={**headers, "Last-Event-ID": "garbage"})
            assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    finally:
        await producer.stop()


async def test_the_broker_down_is_a_503(
    migrated: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> None:
    down = f"127.0.0.1:{free_port()}"
    app = create_app(gateway_settings(migrated, down, registry_url, token, signing_keys))
    async for gw in serve(app):
        r = await gw.get("/api/v1/alarms/stream", headers=auth(token(Role.POLICE_OPERATOR)))
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
