""" "Filed late" is a recorded fact on every filing: its due date, the day the accepted set was
handed in, and the days between, fixed when the office accepts it.

HRB art. 14: "技防系统的使用单位，应当自技防工程验收合格之日起30日内，将技防工程建设情况……备案";
art. 28(2): "不按规定将技防工程建设情况报送备案的" — what counts is the unit handing it in (报送);
art. 16 para. 1: "备案材料齐全，符合备案要求的，公安机关技防管理机构应当予以备案" — the office's
time to decide is not the unit's delay. KMG art. 16: "应当自项目完成之日起10日内到……公安机关技防管理
机构备案" (tests/services/registry/test_firms.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from services.registry.findings.service import FindingService
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_unit

PDF = pdf()
MATERIALS = ("filing_form", "location_diagram", "layout_plan", "inspection_report")


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


async def _harbin_video(
    client: httpx.AsyncClient, tech: dict[str, str], accepted_days_ago: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    unit = await create_unit(client, tech)
    accepted = _today() - dt.timedelta(days=accepted_days_ago)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频监控系统", "system_type": "video", "acceptance_date": accepted.isoformat()},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    return unit, r.json()


async def _submitted(
    client: httpx.AsyncClient, h: dict[str, str], unit_id: str, system_id: str, kind: str = "initial"
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/units/{unit_id}/filings", json={"system_ids": [system_id], "kind": kind}, headers=h
    )
    assert r.status_code == 201, r.text
    filing: dict[str, Any] = r.json()
    for code in MATERIALS:
        await client.put(
            f"/api/v1/filings/{filing['id']}/materials/{code}",
            content=PDF,
            headers={**h, "Content-Type": "application/pdf"},
        )
    r = await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=h)
    assert r.status_code == 200, r.text
    submitted: dict[str, Any] = r.json()
    return submitted


async def test_a_late_harbin_filing_that_escalated_keeps_its_28_2_case(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """Accepted 100 days ago, due 30 days after (HRB art. 14); not filed, the case is ordered
    (警告，责令限期改正, art. 28), its deadline passes (escalated: the art. 28(2) fines), and then
    the unit files: ruling 3 — liability is fixed at the deadline, the case is `corrected_late`
    with its fine range, not rectified; the filing records 70 days late."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system = await _harbin_video(client, tech, accepted_days_ago=100)
    due = _today() - dt.timedelta(days=70)
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit["id"], "rule": "filing_missing"}, headers=tech
    )
    [case] = r.json()["items"]
    assert case["articles"] == ["HRB-2008 art. 14", "HRB-2008 art. 28(2)"]
    assert case["liable"]["party"] == "unit" and f"due to be filed by {due.isoformat()}" in case["detail"]
    deadline = _today() + dt.timedelta(days=5)
    r = await client.post(
        f"/api/v1/findings/{case['id']}/order",
        json={"rectification_deadline": deadline.isoformat()},
        headers=tech,
    )
    assert r.json()["status"] == "ordered" and r.json()["penalty"]["measure"] == "警告，责令限期改正"

    # The deadline passes uncorrected: the sweep escalates the case to the fines.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    async with session_scope(registry_app.state.sessionmaker) as session:
        result = await FindingService(session, registry_app.state.policy_book, clock=lambda: later).recompute(
            [unit["id"]]
        )
    assert result.escalated == 1
    assert (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()["status"] == "escalated"

    # The unit hands in a complete set, and the office accepts it.
    filing = await _submitted(client, tech, unit["id"], system["id"])
    r = await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)
    filed = r.json()
    assert filed["status"] == "filed"
    assert (filed["due_date"], filed["filed_on"], filed["days_late"]) == (
        due.isoformat(),
        _today().isoformat(),
        70,
    )
    r = await client.get(f"/api/v1/findings/{case['id']}", headers=tech)
    closed = r.json()
    assert closed["status"] == "corrected_late" and closed["rectified_at"] and closed["escalated_at"]
    assert closed["penalty"]["step"] == 2 and closed["penalty"]["article"] == "HRB-2008 art. 28"
    assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in closed["penalty"]["fines"]} == {
        ("unit", 500, 2000),
        ("responsible_person", 200, 500),
    }


async def test_filed_late_is_recorded_at_the_decision_and_never_changes(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """A filing handed in within the 30 days is 0 days late; what it recorded stays when the
    system's records change afterwards and when a later filing supersedes it (HRB art. 17:
    "备案的内容发生变更时，技防系统的使用单位应当重新……备案")."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system = await _harbin_video(client, tech, accepted_days_ago=5)
    due = (_today() + dt.timedelta(days=25)).isoformat()
    filing = await _submitted(client, tech, unit["id"], system["id"])
    # Before the office decides, nothing is recorded: the decision fixes it.
    assert (filing["due_date"], filing["filed_on"], filing["days_late"]) == (due, None, None)
    r = await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)
    recorded = (r.json()["due_date"], r.json()["filed_on"], r.json()["days_late"])
    assert recorded == (due, _today().isoformat(), 0)

    # The acceptance date corrected to a year ago: a change of what was filed (art. 17), and
    # the first filing's record as it was.
    year_ago = (_today() - dt.timedelta(days=365)).isoformat()
    r = await client.patch(
        f"/api/v1/systems/{system['id']}", json={"acceptance_date": year_ago}, headers=tech
    )
    assert r.json()["changed_since_filing"] is True
    second = await _submitted(client, tech, unit["id"], system["id"], kind="change")
    r = await client.post(f"/api/v1/filings/{second['id']}/accept", headers=tech)
    assert r.json()["days_late"] == 335  # the new filing is counted from the records as they are
    first = (await client.get(f"/api/v1/filings/{filing['id']}", headers=tech)).json()
    assert first["status"] == "superseded"
    assert (first["due_date"], first["filed_on"], first["days_late"]) == recorded


async def test_a_returned_filing_counts_the_day_the_supplemented_set_was_handed_in(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 16 para. 2: "备案单位应当在10日内补正有关材料后向公安机关技防管理机构备案" — the set
    filed is the supplemented one: the day it was handed in (Beijing time) is the one recorded,
    late by a day against art. 14's 30 days (the 10 days to supplement do not move them)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system = await _harbin_video(client, tech, accepted_days_ago=31)
    filing = await _submitted(client, tech, unit["id"], system["id"])
    r = await client.post(
        f"/api/v1/filings/{filing['id']}/return", json={"items": ["布局图不清晰"]}, headers=tech
    )
    assert r.json()["status"] == "returned"
    r = await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=tech)
    resubmitted = r.json()
    assert resubmitted["submitted_at"] > filing["submitted_at"]
    r = await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)
    handed_in = dt.datetime.fromisoformat(resubmitted["submitted_at"]).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert (r.json()["filed_on"], r.json()["days_late"]) == (handed_in.date().isoformat(), 1)
    assert r.json()["submitted_at"] == resubmitted["submitted_at"] <= r.json()["filed_at"]
