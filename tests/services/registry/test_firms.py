"""Design, construction and maintenance firms, their projects, and the Kunming filing as the
firm's.

KMG art. 16: "从事技防工程设计、施工和维修的单位，应当自项目完成之日起10日内到项目所在地县（市、区）
公安机关技防管理机构备案。" — the firm files, each project (maintenance jobs included), within 10
days of its completion, at the office of the county or district where the project is. KMG-2012
has no penalty article for it. HRB art. 14: "技防系统的使用单位，应当自技防工程验收合格之日起30日
内……备案" — in Harbin the using unit files, and a firm's project is a record only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_firm, create_unit, new_uscc, unique

PDF = pdf()


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


def _ago(days: int) -> str:
    return (_today() - dt.timedelta(days=days)).isoformat()


async def _system(
    client: httpx.AsyncClient, tech: dict[str, str], unit: dict[str, Any], **over: Any
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": unique("视频监控系统"), "system_type": "video", "networking": "connected", **over},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def _project(
    client: httpx.AsyncClient, headers: dict[str, str], firm: dict[str, Any], **body: Any
) -> dict[str, Any]:
    r = await client.post(f"/api/v1/firms/{firm['id']}/projects", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def _findings(client: httpx.AsyncClient, tech: dict[str, str], **params: str) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/findings", params={"limit": "500", **params}, headers=tech)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_a_firm_is_registered_once_by_its_code(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    name = unique("云南示例安防工程有限公司")
    body = {"name": name, "uscc": new_uscc(), "contact_person": "张工", "contact_phone": "0871-63012345"}

    # The code is checked as a unit's is (GB 32100-2015), naming the field and the rule.
    bad = {**body, "uscc": body["uscc"][:-1] + ("0" if body["uscc"][-1] != "0" else "1")}
    r = await client.post("/api/v1/firms", json=bad, headers=tech)
    assert r.status_code == 422
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("body.uscc", "uscc-checksum")]
    r = await client.post("/api/v1/firms", json={**body, "contact_phone": "call me"}, headers=tech)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.contact_phone"

    # A unit's administrator registers the firm that works for it; the code is the firm's once.
    r = await client.post("/api/v1/firms", json=body, headers=admin)
    assert r.status_code == 201, r.text
    firm = r.json()
    assert firm["uscc"] == body["uscc"] and firm["address"] is None
    r = await client.post("/api/v1/firms", json={**body, "name": "另一家"}, headers=tech)
    assert r.status_code == 409 and firm["id"] in r.json()["detail"]

    # A firm is shared by the units it works for: only the tech office changes it.
    r = await client.patch(f"/api/v1/firms/{firm['id']}", json={"contact_person": "王工"}, headers=admin)
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/firms/{firm['id']}",
        json={"contact_person": "王工", "address": "昆明市五华区1号"},
        headers=tech,
    )
    assert r.status_code == 200 and (r.json()["contact_person"], r.json()["address"]) == (
        "王工",
        "昆明市五华区1号",
    )
    r = await client.patch(f"/api/v1/firms/{firm['id']}", json={"name": None}, headers=tech)
    assert r.status_code == 422

    # Read by name or code, by the police as by the unit.
    police = auth(token(Role.POLICE_OPERATOR))
    for q in (name[-8:], body["uscc"][:12]):
        r = await client.get("/api/v1/firms", params={"q": q}, headers=police)
        assert [f["id"] for f in r.json()["items"]] == [firm["id"]], q
    assert (await client.get(f"/api/v1/firms/{firm['id']}", headers=admin)).json()["name"] == name


async def test_a_kunming_project_not_filed_in_10_days_is_the_firms_finding(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 16: each project of the design, construction or maintenance firm, maintenance
    jobs included, is filed "自项目完成之日起10日内" at "项目所在地县（市、区）公安机关技防管理机构"."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012", district="五华区")
    # Completed a year ago, accepted, filed by its construction firm long since (another test
    # follows a system's construction filing).
    system = await _system(client, tech, unit)
    firm = await create_firm(client, tech)
    design = await _project(
        client, tech, firm, system_id=system["id"], kind="design", completion_date=_ago(40)
    )
    repair = await _project(
        client,
        tech,
        firm,
        system_id=system["id"],
        kind="maintenance",
        completion_date=_ago(20),
        district="官渡区",
        description="更换硬盘录像机硬盘",
    )
    recent = await _project(
        client, tech, firm, system_id=system["id"], kind="maintenance", completion_date=_ago(3)
    )
    # Where the firm files: the district of the project (the unit's unless stated).
    assert (design["office"], design["due_date"]) == ("昆明市五华区公安（分）局技防管理机构", _ago(30))
    assert (repair["office"], repair["due_date"]) == ("昆明市官渡区公安（分）局技防管理机构", _ago(10))
    assert recent["due_date"] == (_today() + dt.timedelta(days=7)).isoformat()
    assert {p["filed_by"] for p in (design, repair, recent)} == {"firm"}
    assert design["article"] == "KMG-2012 art. 16" and design["filing"] is None

    # Two projects past their 10 days: two findings about the projects, the firm answering.
    found = await _findings(client, tech, unit_id=unit["id"], rule="filing_missing")
    assert {(f["subject_type"], f["subject_id"]) for f in found} == {
        ("project", design["id"]),
        ("project", repair["id"]),
    }
    for f in found:
        assert f["liable"] == {
            "party": "firm",
            "firm_id": firm["id"],
            "name": firm["name"],
            "uscc": firm["uscc"],
        }
        assert f["articles"] == ["KMG-2012 art. 16"] and f["penalty"] is None
        assert firm["name"] in f["detail"] and firm["uscc"] in f["detail"]
        assert unit["name"] not in f["detail"]  # the unit is not the one who failed to file
    [repair_case] = [f for f in found if f["subject_id"] == repair["id"]]
    assert "maintenance project" in repair_case["detail"] and "官渡区" in repair_case["detail"]
    # The firm's findings, across the units it works for.
    assert {f["id"] for f in await _findings(client, tech, firm_id=firm["id"])} == {f["id"] for f in found}

    # The tech office's list of filings falling due: each project, the firm filing it.
    r = await client.get("/api/v1/filings/due", params={"within_days": 7}, headers=tech)
    due = {d["project_id"]: d for d in r.json() if d["unit_id"] == unit["id"]}
    assert set(due) == {design["id"], repair["id"], recent["id"]}
    assert [due[p["id"]]["overdue"] for p in (design, repair, recent)] == [True, True, False]
    assert due[recent["id"]]["liable"] == {
        "party": "firm",
        "firm_id": firm["id"],
        "name": firm["name"],
        "uscc": firm["uscc"],
    }
    assert due[recent["id"]]["article"] == "KMG-2012 art. 16"

    # The firm files the maintenance job: it names the project, not just the system.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [system["id"]]}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "required-for-firm-filing"
    other_system = await _system(client, tech, unit)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings",
        json={"project_id": repair["id"], "system_ids": [other_system["id"]]},
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "the-projects-system"
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"project_id": repair["id"]}, headers=tech
    )
    assert r.status_code == 201, r.text
    filing = r.json()
    assert (filing["party"], filing["project_id"], filing["firm_id"], filing["firm_name"]) == (
        "firm",
        repair["id"],
        firm["id"],
        firm["name"],
    )
    assert (filing["office"], filing["due_date"]) == ("昆明市官渡区公安（分）局技防管理机构", _ago(10))
    assert (filing["filed_on"], filing["days_late"]) == (None, None)  # not filed yet
    assert (await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=tech)).status_code == 200
    r = await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)
    filed = r.json()
    assert filed["status"] == "filed" and (filed["filed_on"], filed["days_late"]) == (
        _today().isoformat(),
        10,
    )
    r = await client.get(f"/api/v1/filings/{filing['id']}/receipt", headers=tech)
    assert f"备案单位: {firm['name']} ({firm['uscc']})" in r.text and f"使用单位: {unit['name']}" in r.text

    # Filed, the maintenance job's case ends; the design project's goes on: one filing per project.
    r = await client.get(f"/api/v1/findings/{repair_case['id']}", headers=tech)
    assert r.json()["status"] == "rectified"
    assert [f["subject_id"] for f in await _findings(client, tech, unit_id=unit["id"], status="open")] == [
        design["id"]
    ]
    # Filing the design project supersedes nothing of the maintenance job's.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"project_id": design["id"]}, headers=tech
    )
    await client.post(f"/api/v1/filings/{r.json()['id']}/submit", headers=tech)
    assert (await client.post(f"/api/v1/filings/{r.json()['id']}/accept", headers=tech)).json()[
        "days_late"
    ] == 30
    assert (await client.get(f"/api/v1/filings/{filing['id']}", headers=tech)).json()["status"] == "filed"

    # The projects, under the system and under the firm, with their filings.
    r = await client.get(f"/api/v1/systems/{system['id']}/projects", headers=tech)
    listed = {p["id"]: p["filing"] for p in r.json()}
    assert set(listed) == {design["id"], repair["id"], recent["id"]}
    assert listed[repair["id"]] == {
        "id": filing["id"],
        "status": "filed",
        "filed_on": _today().isoformat(),
        "days_late": 10,
    }
    assert listed[recent["id"]] is None
    r = await client.get(f"/api/v1/firms/{firm['id']}/projects", headers=tech)
    assert [p["id"] for p in r.json()["items"]] == [recent["id"], repair["id"], design["id"]]  # latest first
    assert r.json()["total"] == 3


async def test_a_systems_construction_filing_is_its_firms_until_the_project_names_it(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 16 binds the construction firm: a system completed more than 10 days ago with
    no filing is its construction firm's case, naming the installer as recorded; recording the
    construction project names the registered firm, and the case (its dates and status) goes on
    under the project. A firm renamed is named so at once."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    system = await _system(client, tech, unit, completion_date=_ago(15), installer_firm="春城安防")
    [case] = await _findings(client, tech, unit_id=unit["id"], rule="filing_missing")
    assert case["subject_type"] == "system" and case["penalty"] is None
    assert case["liable"] == {"party": "firm", "firm_id": None, "name": "春城安防", "uscc": None}
    assert "construction firm (春城安防" in case["detail"] and unit["name"] not in case["detail"]
    ordered = await client.post(
        f"/api/v1/findings/{case['id']}/order",
        json={"rectification_deadline": (_today() + dt.timedelta(days=5)).isoformat()},
        headers=tech,
    )
    assert ordered.json()["penalty"] is None and ordered.json()["status"] == "ordered"

    firm = await create_firm(client, tech, name=unique("春城安防工程有限公司"))
    project = await _project(
        client, tech, firm, system_id=system["id"], kind="construction", completion_date=_ago(15)
    )
    r = await client.get(f"/api/v1/findings/{case['id']}", headers=tech)
    moved = r.json()
    assert (moved["subject_type"], moved["subject_id"], moved["status"]) == (
        "project",
        project["id"],
        "ordered",
    )
    assert moved["liable"]["firm_id"] == firm["id"] and firm["name"] in moved["detail"]
    assert moved["rectification_deadline"] == ordered.json()["rectification_deadline"]
    assert len(await _findings(client, tech, unit_id=unit["id"], rule="filing_missing")) == 1

    renamed = unique("春城智能安防有限公司")
    r = await client.patch(f"/api/v1/firms/{firm['id']}", json={"name": renamed}, headers=tech)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/findings/{case['id']}", headers=tech)
    assert r.json()["liable"]["name"] == renamed and renamed in r.json()["detail"]


async def test_in_harbin_the_unit_files_and_a_project_is_a_record(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 14: "技防系统的使用单位，应当自技防工程验收合格之日起30日内，将技防工程建设情况按照保卫
    隶属关系向市或区、县（市）公安机关技防管理机构备案" — the unit, not the firm, files; its late
    filing stays the unit's, under art. 28(2)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    system = await _system(client, tech, unit, completion_date=_ago(50), acceptance_date=_ago(40))
    firm = await create_firm(client, tech)
    project = await _project(
        client, tech, firm, system_id=system["id"], kind="construction", completion_date=_ago(50)
    )
    assert (project["filed_by"], project["office"], project["due_date"], project["article"]) == (
        "unit",
        None,
        None,
        None,
    )
    [case] = await _findings(client, tech, unit_id=unit["id"], rule="filing_missing")
    assert case["subject_type"] == "system" and case["articles"] == [
        "HRB-2008 art. 14",
        "HRB-2008 art. 28(2)",
    ]
    assert case["liable"] == {"party": "unit", "firm_id": None, "name": unit["name"], "uscc": unit["uscc"]}
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings",
        json={"system_ids": [system["id"]], "project_id": project["id"]},
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unit-files"
    r = await client.get("/api/v1/filings/due", params={"within_days": 0}, headers=tech)
    [due] = [d for d in r.json() if d["unit_id"] == unit["id"]]
    assert (due["system_id"], due["project_id"], due["overdue"]) == (system["id"], None, True)
    assert due["liable"]["party"] == "unit" and due["article"] == "HRB-2008 art. 14 para. 1"


async def test_who_records_and_reads_projects(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """A firm is no unit's record, but its projects are on units' systems: a unit's administrator
    records projects on its own systems and sees the firm's projects there only."""
    tech = auth(token(Role.TECH_OFFICE))
    unit_a = await create_unit(client, tech, jurisdiction="kunming-2012")
    unit_b = await create_unit(client, tech, jurisdiction="kunming-2012")
    admin_a = auth(token(Role.UNIT_ADMIN, unit_id=unit_a["id"]))
    system_a = await _system(client, tech, unit_a)
    system_b = await _system(client, tech, unit_b)
    firm = await create_firm(client, tech)
    mine = await _project(
        client, admin_a, firm, system_id=system_a["id"], kind="maintenance", completion_date=_ago(1)
    )
    await _project(client, tech, firm, system_id=system_b["id"], kind="maintenance", completion_date=_ago(1))
    r = await client.post(
        f"/api/v1/firms/{firm['id']}/projects",
        json={"system_id": system_b["id"], "kind": "maintenance", "completion_date": _ago(1)},
        headers=admin_a,
    )
    assert r.status_code == 404  # another unit's system is not disclosed
    r = await client.get(f"/api/v1/firms/{firm['id']}/projects", headers=admin_a)
    assert [p["id"] for p in r.json()["items"]] == [mine["id"]]
    assert (await client.get(f"/api/v1/firms/{firm['id']}/projects", headers=tech)).json()["total"] == 2
    assert (
        await client.get(f"/api/v1/systems/{system_b['id']}/projects", headers=admin_a)
    ).status_code == 404
    # A project is recorded once completed; a filing names a project of its own unit.
    r = await client.post(
        f"/api/v1/firms/{firm['id']}/projects",
        json={
            "system_id": system_a["id"],
            "kind": "design",
            "completion_date": (_today() + dt.timedelta(days=1)).isoformat(),
        },
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "not-future"
    r = await client.post(
        f"/api/v1/units/{unit_b['id']}/filings", json={"project_id": mine["id"]}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "project-of-this-unit"
    r = await client.post(
        "/api/v1/firms/00000000-0000-4000-8000-000000000000/projects",
        json={"system_id": system_a["id"], "kind": "design", "completion_date": _ago(1)},
        headers=tech,
    )
    assert r.status_code == 404
