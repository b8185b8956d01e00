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


def deleted(pack_prefix: str, duty: str) -> retention_pb2.RetentionFinding:
    """A deletion as retention publishes it: the duty only, no penalty (a suspicion)."""
    return retention_pb2.RetentionFinding(
        rule="records_deleted_or_altered",
        kind="deleted",
        articles=[f"{pack_prefix} {duty}"],
        detail="3.0 hours of footage present at the last check are gone",
    )


async def suspicions_of(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str
) -> list[dict[str, Any]]:
    for _ in range(100):
        r = await client.get(
            "/api/v1/findings",
            params={"unit_id": unit_id, "rule": "records_deleted_or_altered"},
            headers=tech,
        )
        items: list[dict[str, Any]] = r.json()["items"]
        if items:
            return items
        await asyncio.sleep(0.1)
    raise AssertionError("no deletion finding")


async def test_a_deletion_is_a_suspicion_an_officer_confirms_or_dismisses(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory, bootstrap: str
) -> None:
    """HRB art. 20(4): "不得擅自删除、修改技防系统运行程序和记录" — deleting is a deliberate act
    (ruling 1): footage gone is a suspicion citing the duty, with no penalty, until an officer
    confirms it (then art. 29: "予以警告，并对单位处以500元以上2000元以下罚款", at once, no
    deadline) or dismisses it with a reason. A later good check does not end it."""
    tech = auth(token(Role.TECH_OFFICE))
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        unit = await create_unit(client, tech)
        recorder = str(uuid.uuid4())
        gone = result(unit["id"], recorder, "violating", deleted("HRB-2008", "art. 20(4)"))
        await producer.send_and_wait(RETENTION_TOPIC, gone, key=unit["id"].encode())
        (suspected,) = await suspicions_of(client, tech, unit["id"])
        assert suspected["status"] == "suspected" and suspected["penalty"] is None
        assert suspected["articles"] == ["HRB-2008 art. 20(4)"]
        # A later check finds the channel in order: the suspicion stays for an officer.
        await producer.send_and_wait(
            RETENTION_TOPIC, result(unit["id"], recorder, "compliant"), key=unit["id"].encode()
        )
        await asyncio.sleep(1.5)
        (still,) = await suspicions_of(client, tech, unit["id"])
        assert still["status"] == "suspected"
        # Only the tech office decides; an open case cannot be confirmed; a suspicion not ordered.
        admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
        assert (
            await client.post(f"/api/v1/findings/{still['id']}/confirm", headers=admin)
        ).status_code == 403
        r = await client.post(f"/api/v1/findings/{still['id']}/order", json={}, headers=tech)
        assert r.status_code == 409, r.text
        r = await client.post(f"/api/v1/findings/{still['id']}/confirm", headers=tech)
        assert r.status_code == 200, r.text
        confirmed = r.json()
        assert confirmed["status"] == "confirmed" and confirmed["decided_by"]
        assert confirmed["articles"] == ["HRB-2008 art. 20(4)", "HRB-2008 art. 29"]
        step = confirmed["penalty"]
        assert (step["step"], step["measure"], confirmed["rectification_deadline"]) == (
            1,
            "警告，并处罚款",
            None,
        )
        assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in step["fines"]} == {
            ("unit", 500, 2000),
            ("responsible_person", 200, 500),
        }
        assert (await client.post(f"/api/v1/findings/{still['id']}/confirm", headers=tech)).status_code == 409

        # Another unit's deletion, dismissed with its reason: no case.
        other = await create_unit(client, tech)
        gone = result(other["id"], str(uuid.uuid4()), "violating", deleted("HRB-2008", "art. 20(4)"))
        await producer.send_and_wait(RETENTION_TOPIC, gone, key=other["id"].encode())
        (suspected,) = await suspicions_of(client, tech, other["id"])
        r = await client.post(
            f"/api/v1/findings/{suspected['id']}/dismiss", json={"reason": " "}, headers=tech
        )
        assert r.status_code == 422, r.text
        reason = "录像机硬盘故障更换，维修记录已核实"
        r = await client.post(
            f"/api/v1/findings/{suspected['id']}/dismiss", json={"reason": reason}, headers=tech
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["decision_reason"], r.json()["penalty"]) == (
            "dismissed",
            reason,
            None,
        )
    finally:
        await producer.stop()


async def test_a_confirmed_kunming_deletion_is_an_order_to_correct(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory, bootstrap: str
) -> None:
    """KMG art. 22(1) "擅自删除、修改技防产品、系统的运行程序和记录", art. 25 "由公安机关责令限期
    改正": confirmed, the case is open for the order, with no warning."""
    tech = auth(token(Role.TECH_OFFICE))
    producer = create_producer(bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        unit = await create_unit(client, tech, jurisdiction="kunming-2012")
        gone = result(unit["id"], str(uuid.uuid4()), "violating", deleted("KMG-2012", "art. 22(1)"))
        await producer.send_and_wait(RETENTION_TOPIC, gone, key=unit["id"].encode())
        (suspected,) = await suspicions_of(client, tech, unit["id"])
        assert suspected["articles"] == ["KMG-2012 art. 22(1)"] and suspected["penalty"] is None
        r = await client.post(f"/api/v1/findings/{suspected['id']}/confirm", headers=tech)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "open" and r.json()["articles"] == [
            "KMG-2012 art. 22(1)",
            "KMG-2012 art. 25",
        ]
        r = await client.post(f"/api/v1/findings/{suspected['id']}/order", json={}, headers=tech)
        assert r.status_code == 200 and r.json()["penalty"]["measure"] == "责令限期改正", r.text
    finally:
        await producer.stop()
