"""Inspections: the periodic due list, signed records, rectification notices and re-checks."""

from __future__ import annotations

import datetime as dt

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit

INSPECTOR = {"name": "李警官", "badge_number": "230102", "signed_at": "2026-02-01T16:00:00+08:00"}


async def test_due_list_notice_and_recheck(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """HRB art. 24: "公安机关对投入使用的技防系统，每年应当进行一次全面的系统功能检查" — once in every
    calendar year; art. 25: "...并于整改期限届满时进行复查"."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    accepted = dt.date(dt.date.today().year - 2, 6, 1).isoformat()  # no check in all of last year
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
    # Checked in 2026, the next check is due in 2027: by its last day, not 365 days on.
    due = (await client.get("/api/v1/inspections/due", params={"within_days": 731}, headers=admin)).json()
    assert [(d["last_inspected_on"], d["due_date"], d["platform_default"]) for d in due] == [
        ("2026-02-16", "2027-12-31", False)
    ]


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
    assert r.json()["articles"] == ["KMG-2012 art. 23 para. 1"]


async def test_kunming_interval_is_a_platform_default_and_notices_are_followed_up(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 23 sets no interval ("公安机关应当建立健全...监督管理制度"): the interval is the
    platform's default, citing no article; para. 2 "及时提出整改意见并监督整改措施的落实" asks for
    follow-up, not a re-check when the deadline expires (that is HRB art. 25)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    accepted = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "acceptance_date": accepted},
        headers=tech,
    )
    sid = r.json()["id"]
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    due = (await client.get("/api/v1/inspections/due", headers=admin)).json()
    assert [(d["system_id"], d["overdue"], d["article"], d["platform_default"]) for d in due] == [
        (sid, True, None, True)
    ]
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "failed",
            "inspectors": [INSPECTOR],
            "rectification": {"items": ["调整摄像机角度"], "deadline": "2026-02-15"},
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    notice = r.json()["notice"]
    assert notice["article"] == "KMG-2012 art. 23 para. 2" and notice["recheck_due"] is False


async def test_a_quality_notice_goes_to_the_producer_seller_or_maintainer(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 25: "发现技防产品不符合标准或技防系统存在质量问题时，应当按照监督管理权限向有关生产、
    销售、维修单位填发限期整改通知书"; art. 24: "督促使用单位和维修单位进行整改"."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "报警系统", "system_type": "intrusion_alarm", "acceptance_date": "2025-01-01"},
        headers=tech,
    )
    sid = r.json()["id"]
    failed = {"inspected_on": "2026-02-01", "result": "failed", "inspectors": [INSPECTOR]}
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={
            **failed,
            "rectification": {
                "items": ["更换探测器"],
                "deadline": "2026-03-01",
                "addressee": {"party": "maintainer"},
            },
        },
        headers=tech,
    )
    assert r.status_code == 422, r.text  # a firm must be named
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={
            **failed,
            "rectification": {
                "items": ["探测器误报率超标，更换合格产品"],
                "deadline": "2026-03-01",
                "addressee": {"party": "producer", "name": "某安防设备制造有限公司"},
            },
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    notice = r.json()["notice"]
    assert notice["addressee"] == {"party": "producer", "name": "某安防设备制造有限公司"}
    assert notice["article"] == "HRB-2008 art. 25"
    # Without an addressee, the notice goes to the using unit.
    r = await client.post(
        f"/api/v1/systems/{sid}/inspections",
        json={
            **failed,
            "inspected_on": "2026-01-31",
            "rectification": {"items": ["补充值班记录"], "deadline": "2026-03-01"},
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    assert r.json()["notice"]["addressee"] == {"party": "unit", "name": None}
