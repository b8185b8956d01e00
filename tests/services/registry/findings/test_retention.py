"""Retention's results, published on its topic, become the unit's findings in the registry
(with the articles the check cited): opened, kept while the channel stays short, rectified
by a check that finds it in order; a check that could not read the recorder and a redelivered
event change nothing; the registry's own sweep leaves them alone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from jifang.events import event_meta
from jifang.kafka import create_producer
from jifang.topics import RETENTION_TOPIC
from jifang.v1 import retention_pb2
from services.registry.findings.service import FindingService
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

SHORT = retention_pb2.RetentionFinding(
    rule="retention_short",
    kind="short",
    articles=["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"],
    penalty="hrb-28",
    detail="footage kept 10.0 days of the 15 required",
)


def result(unit_id: str, recorder_id: str, verdict: str, *findings: retention_pb2.RetentionFinding) -> bytes:
    event = retention_pb2.RetentionChecked(
        meta=event_meta("retention", "harbin-2008"),
        unit_id=unit_id,
        recorder_id=recorder_id,
        recording_token="Recording_1",
        verdict=verdict,
        required_days=15,
        findings=list(findings),
    )
    event.checked_at.FromDatetime(datetime.now(UTC))
    return event.SerializeToString()


async def findings_of(client: httpx.AsyncClient, tech: dict[str, str], unit_id: str) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit_id, "rule": "retention_short"}, headers=tech
    )
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def wait_for(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str, status: str
) -> list[dict[str, Any]]:
    for _ in range(100):
        items = await findings_of(client, tech, unit_id)
        if items and items[-1]["status"] == status:
            return items
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {status} retention finding: {items}")


async def test_retention_results_become_findings(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory, bootstrap: str
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    recorder = str(uuid.uuid4())
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        short = result(unit["id"], recorder, "violating", SHORT)
        await producer.send_and_wait(RETENTION_TOPIC, short, key=unit["id"].encode())
        (opened,) = await wait_for(client, tech, unit["id"], "open")
        assert opened["articles"] == ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]
        assert "10.0 days of the 15" in opened["detail"]
        # The same event again, an unreadable recorder, and the registry's own sweep: no change.
        await producer.send_and_wait(RETENTION_TOPIC, short, key=unit["id"].encode())
        await producer.send_and_wait(
            RETENTION_TOPIC, result(unit["id"], recorder, "cannot_verify"), key=unit["id"].encode()
        )
        async with session_scope(registry_app.state.sessionmaker) as session:
            await FindingService(session, registry_app.state.policy_book).recompute([uuid.UUID(unit["id"])])
        await asyncio.sleep(1.5)
        (still,) = await findings_of(client, tech, unit["id"])
        assert still["id"] == opened["id"] and still["status"] == "open"
        # A later check finds 20 days kept: rectified.
        await producer.send_and_wait(
            RETENTION_TOPIC, result(unit["id"], recorder, "compliant"), key=unit["id"].encode()
        )
        (rectified,) = await wait_for(client, tech, unit["id"], "rectified")
        assert rectified["id"] == opened["id"]
    finally:
        await producer.stop()
