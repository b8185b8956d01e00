"""Inspections: the annual due list, signed records, rectification notices and re-checks."""

from __future__ import annotations

import datetime as dt

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

INSPECTOR = {"name": "李警官", "badge_number": "230102", "signed_at": "2026-02-01T16:00:00+08:00"}


async def test_due_list_notice_and_recheck(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    accepted = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "报警系统", "system_type": "intrusion_alarm", "acceptance_date": accepted},
        headers=tech,
    )
    system = r.json()
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    due = (await client.get("/api/v1/inspections/due", headers=admin)).json()
    assert [(d["system_id"], d["overdue"], d["article"]) for d in due] == [
        (system["id"], True, "HRB-2008 art. 24")
    ]

    r = await client.post(
        f"/api/v1/systems/{system['id']}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "failed",
            "inspectors": [INSPECTOR],
            "notes": "探测器失灵",
            "rectification": {"items": ["更换探测器"], "deadline": "2026-02-15"},
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    notice = r.json()["notice"]
    assert notice["status"] == "open" and notice["recheck_due"] is True  # the deadline has passed
    assert notice["article"] == "HRB-2008 art. 25"
    open_notices = (await client.get("/api/v1/rectification-notices", headers=admin)).json()
    assert [n["id"] for n in open_notices] == [notice["id"]]

    r = await client.post(
        f"/api/v1/systems/{system['id']}/inspections",
        json={
            "inspected_on": "2026-02-16",
            "result": "passed",
            "inspectors": [{**INSPECTOR, "signed_at": "2026-02-16T10:00:00+08:00"}],
            "recheck_of_notice": notice["id"],
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "recheck"
    n = (await client.get(f"/api/v1/rectification-notices/{notice['id']}", headers=tech)).json()
    assert n["status"] == "rectified"
    assert (await client.get("/api/v1/rectification-notices", headers=admin)).json() == []
    # The passed check on 2026-02-16 makes the next annual check due 2027-02-16.
    due = [
        d
        for d in (
            await client.get("/api/v1/inspections/due", params={"within_days": 366}, headers=admin)
        ).json()
    ]
    assert [(d["last_inspected_on"], d["due_date"]) for d in due] == [("2026-02-16", "2027-02-16")]


async def test_failed_inspection_needs_a_notice_and_signatures_follow_it(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "acceptance_date": "2025-01-01"},
        headers=tech,
    )
    sid = r.json()["id"]
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={"inspected_on": "2026-02-01", "result": "failed", "inspectors": [INSPECTOR]},
        headers=tech,
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "passed",
            "inspectors": [{**INSPECTOR, "signed_at": "2026-01-30T10:00:00+08:00"}],
        },
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "signed-after-inspection"
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={"inspected_on": "2026-02-01", "result": "passed", "inspectors": [INSPECTOR]},
        headers=tech,
    )
    assert r.json()["articles"] == ["KMG-2012 art. 23", "KMG-2012 art. 23 para. 1"]
