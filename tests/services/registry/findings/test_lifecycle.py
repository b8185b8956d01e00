"""A case walks open -> ordered (deadline) -> rectified, or escalated past the deadline, and
corrected after it stays corrected late (ruling 3: liability is fixed at the deadline)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from services.registry.findings.service import FindingService, close_corrected
from services.registry.models import Finding, FindingStatus
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.registry.factories import create_unit


async def _finding(
    client: httpx.AsyncClient, tech: dict[str, str], **unit_over: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    unit = await create_unit(client, tech, **unit_over)
    place_cat = "hrb-7-10" if unit["jurisdiction"] == "harbin-2008" else "kmg-6-8"
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places", json={"name": "校门", "category": place_cat}, headers=tech
    )
    assert r.status_code == 201
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    (finding,) = r.json()["items"]
    return unit, finding


async def test_warn_then_escalate_after_the_deadline(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    _, finding = await _finding(client, tech)
    r = await client.post(f"/api/v1/findings/{finding['id']}/order", json={}, headers=tech)
    assert r.status_code == 200, r.text
    ordered = r.json()
    assert ordered["status"] == "ordered" and ordered["penalty"]["measure"] == "警告，责令限期整改"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert ordered["rectification_deadline"] == (today + dt.timedelta(days=30)).isoformat()
    # Ordering twice is a conflict.
    assert (
        await client.post(f"/api/v1/findings/{finding['id']}/order", json={}, headers=tech)
    ).status_code == 409

    # The deadline passes without rectification: the recomputation escalates it to step 2.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    async with session_scope(registry_app.state.sessionmaker) as session:
        result = await FindingService(session, registry_app.state.policy_book, clock=lambda: later).recompute(
            [finding["unit_id"]]
        )
    assert result.escalated == 1
    r = await client.get(f"/api/v1/findings/{finding['id']}", headers=tech)
    escalated = r.json()
    assert escalated["status"] == "escalated"
    assert escalated["penalty"]["step"] == 2
    assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in escalated["penalty"]["fines"]} == {
        ("unit", 10000, 30000),
        ("responsible_person", 1000, 3000),
    }


async def test_kmg_24_fine_follows_the_unit_kind(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    for is_business, expected in ((True, (5000, 20000)), (False, (300, 1000))):
        unit, finding = await _finding(client, tech, jurisdiction="kunming-2012", is_business=is_business)
        assert finding["articles"] == ["KMG-2012 art. 6(8)", "KMG-2012 art. 24"]
        await client.post(
            f"/api/v1/findings/{finding['id']}/order",
            json={"rectification_deadline": (dt.date.today() + dt.timedelta(days=5)).isoformat()},
            headers=tech,
        )
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
        async with session_scope(registry_app.state.sessionmaker) as session:
            await FindingService(session, registry_app.state.policy_book, clock=lambda t=later: t).recompute(
                [unit["id"]]
            )
        r = await client.get(f"/api/v1/findings/{finding['id']}", headers=tech)
        fines = r.json()["penalty"]["fines"]
        assert [(f["min_yuan"], f["max_yuan"]) for f in fines if f["party"] == "unit"] == [expected]


async def test_a_past_deadline_is_refused(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    _, finding = await _finding(client, tech)
    r = await client.post(
        f"/api/v1/findings/{finding['id']}/order", json={"rectification_deadline": "2020-01-01"}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rectification_deadline"


async def test_recompute_all_endpoint(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    await _finding(client, tech)
    r = await client.post("/api/v1/findings/recompute", headers=tech)
    assert r.status_code == 200
    body = r.json()
    assert body["units"] >= 1 and body["active"] >= 1 and body["opened"] == 0


async def test_concurrent_changes_and_sweeps_keep_one_finding_per_subject(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)

    async def sweep() -> None:
        async with session_scope(registry_app.state.sessionmaker) as session:
            await FindingService(session, registry_app.state.policy_book).recompute([unit["id"]])

    async def add_place(i: int) -> int:
        r = await client.post(
            f"/api/v1/units/{unit['id']}/places",
            json={"name": f"入口{i}", "category": "hrb-7-10"},
            headers=tech,
        )
        return r.status_code

    results = await asyncio.gather(*[add_place(i) for i in range(8)], *[sweep() for _ in range(4)])
    assert [s for s in results if s is not None] == [201] * 8
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert sorted(f["detail"].split(" ")[0] for f in r.json()["items"]) == sorted(
        f"入口{i}" for i in range(8)
    )


async def test_open_findings_on_metrics_by_rule_and_district(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """The findings dashboard counts each finding once, by rule and the unit's district."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, finding = await _finding(client, tech)
    labels = {"rule": finding["rule"], "status": "open", "district": unit["district"]}

    async def scraped() -> float | None:
        return metric_value((await client.get("/metrics")).text, "registry_findings_open", **labels)

    for _ in range(50):  # the gauges are refreshed every 0.2 s in the tests
        if await scraped() == 1:
            break
        await asyncio.sleep(0.1)
    assert await scraped() == 1
    await client.post(f"/api/v1/findings/{finding['id']}/order", json={}, headers=tech)
    for _ in range(50):
        if await scraped() is None:
            break
        await asyncio.sleep(0.1)
    assert await scraped() is None
    ordered = metric_value(
        (await client.get("/metrics")).text, "registry_findings_open", **{**labels, "status": "ordered"}
    )
    assert ordered == 1


async def _recompute_at(registry_app: FastAPI, unit_id: str, later: dt.datetime) -> None:
    async with session_scope(registry_app.state.sessionmaker) as session:
        await FindingService(session, registry_app.state.policy_book, clock=lambda: later).recompute(
            [unit_id]
        )


async def test_corrected_after_the_deadline_keeps_the_fine_range(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 26: "予以警告，责令限期整改；逾期不整改的，对单位处以1万元以上3万元以下罚款" —
    liability is fixed at the deadline (ruling 3): corrected later, the case is corrected late,
    with its dates and the fine range, never one that looks corrected in time."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, finding = await _finding(client, tech)
    deadline = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    r = await client.post(
        f"/api/v1/findings/{finding['id']}/order", json={"rectification_deadline": deadline}, headers=tech
    )
    assert r.status_code == 200, r.text
    await _recompute_at(registry_app, unit["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    escalated = (await client.get(f"/api/v1/findings/{finding['id']}", headers=tech)).json()
    assert escalated["status"] == "escalated" and escalated["penalty"]["step"] == 2

    # The unit installs the video system after the deadline.
    place_id = escalated["subject_id"]
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "place_ids": [place_id]},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    late = (await client.get(f"/api/v1/findings/{finding['id']}", headers=tech)).json()
    assert late["status"] == "corrected_late"
    assert late["rectified_at"] and late["escalated_at"] == escalated["escalated_at"]
    assert late["rectification_deadline"] == deadline
    assert late["penalty"]["step"] == 2 and late["penalty"]["measure"] == "逾期不改正，处以罚款"
    assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in late["penalty"]["fines"]} == {
        ("unit", 10000, 30000),
        ("responsible_person", 1000, 3000),
    }


def test_corrected_after_a_deadline_no_sweep_saw_pass_is_still_late() -> None:
    """The deadline passed unseen (no sweep ran between): the correction is late all the same;
    a suspicion is not ended by the breach no longer being seen (ruling 1)."""
    now = dt.datetime.now(dt.UTC)
    ordered = Finding(status=FindingStatus.ORDERED, rectification_deadline=dt.date(2026, 3, 1))
    assert close_corrected(ordered, dt.date(2026, 3, 2), now)
    assert ordered.status == FindingStatus.CORRECTED_LATE and ordered.escalated_at == now
    in_time = Finding(status=FindingStatus.ORDERED, rectification_deadline=dt.date(2026, 3, 1))
    assert close_corrected(in_time, dt.date(2026, 3, 1), now)
    assert in_time.status == FindingStatus.RECTIFIED and in_time.escalated_at is None
    suspected = Finding(status=FindingStatus.SUSPECTED)
    assert not close_corrected(suspected, dt.date(2026, 3, 2), now)
    assert suspected.status == FindingStatus.SUSPECTED


async def test_a_kunming_case_never_says_warning(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 24: "由公安机关责令限期改正；逾期不改正的，...处...罚款" — no warning step: no field,
    text or action of a Kunming case says 警告 or warning, at any step."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, finding = await _finding(client, tech, jurisdiction="kunming-2012")
    seen = [finding]
    r = await client.post(f"/api/v1/findings/{finding['id']}/order", json={}, headers=tech)
    assert r.status_code == 200, r.text
    seen.append(r.json())
    assert r.json()["penalty"]["measure"] == "责令限期改正"
    await _recompute_at(registry_app, unit["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=40))
    seen.append((await client.get(f"/api/v1/findings/{finding['id']}", headers=tech)).json())
    assert seen[-1]["status"] == "escalated"
    for body in seen:
        text = json.dumps(body, ensure_ascii=False).lower()
        assert "警告" not in text and "warn" not in text, text
    document = json.dumps((await client.get("/openapi.json")).json()["paths"], ensure_ascii=False)
    assert "/warn" not in document
