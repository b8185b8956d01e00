"""A finding walks open -> warned (deadline) -> rectified, or escalated past the deadline."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from services.registry.findings.service import FindingService
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
    r = await client.post(f"/api/v1/findings/{finding['id']}/warn", json={}, headers=tech)
    assert r.status_code == 200, r.text
    warned = r.json()
    assert warned["status"] == "warned"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert warned["rectification_deadline"] == (today + dt.timedelta(days=30)).isoformat()
    # Warning twice is a conflict.
    assert (
        await client.post(f"/api/v1/findings/{finding['id']}/warn", json={}, headers=tech)
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
            f"/api/v1/findings/{finding['id']}/warn",
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
        f"/api/v1/findings/{finding['id']}/warn", json={"rectification_deadline": "2020-01-01"}, headers=tech
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
    await client.post(f"/api/v1/findings/{finding['id']}/warn", json={}, headers=tech)
    for _ in range(50):
        if await scraped() is None:
            break
        await asyncio.sleep(0.1)
    assert await scraped() is None
    warned = metric_value(
        (await client.get("/metrics")).text, "registry_findings_open", **{**labels, "status": "warned"}
    )
    assert warned == 1
