"""The README's example, end to end through the API: what a newcomer follows with curl."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from pathlib import Path

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from services.registry.findings.service import FindingService
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_firm, create_unit

PDF = pdf()


async def _bank_with_video(client: httpx.AsyncClient, tech: dict[str, str], jurisdiction: str, category: str):
    unit = await create_unit(client, tech, jurisdiction=jurisdiction)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places",
        json={"name": "营业大厅", "category": category, "location_type": "lobby"},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    place = r.json()
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={
            "name": "视频监控系统",
            "system_type": "video",
            "place_ids": [place["id"]],
            "design_review_date": "2026-08-01",
            "completion_date": "2026-10-01",
            "acceptance_date": "2026-10-10",
            "in_use": True,
            "installer_firm": "黑龙江安防工程有限公司",
            "networking": "connected",
            "products": [
                {
                    "name": "网络摄像机",
                    "model": "IPC-1",
                    "certificate_no": "GA-2025-001",
                    "standard": "GB 50395-2007",
                }
            ],
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    return unit, place, r.json()


async def test_harbin_bank_without_intrusion_alarm_gets_art_7_and_26(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit, place, _ = await _bank_with_video(client, tech, "harbin-2008", "hrb-7-4")
    assert place["category_article"] == "HRB-2008 art. 7(4)"
    assert unit["filing_office"] == "哈尔滨市南岗区公安（分）局技防管理机构"

    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert r.status_code == 200
    findings = r.json()["items"]
    # One breach of art. 7(4), one art. 26 case listing both missing types (ruling 2).
    [case] = [f for f in findings if f["rule"] == "mandated_system_missing"]
    assert case["detail"] == (
        "营业大厅 (mandated place hrb-7-4) has no "
        "入侵报警系统 (intrusion_alarm), 出入口控制系统 (access_control)"
    )
    assert case["articles"] == ["HRB-2008 art. 7(4)", "HRB-2008 art. 26"]
    assert case["status"] == "open"
    assert case["penalty"]["step"] == 1 and case["penalty"]["measure"] == "警告，责令限期整改"

    # The video system was accepted on 2026-10-10 and is still not filed: HRB art. 14 + 28(2).
    late = [f for f in findings if f["rule"] == "filing_missing"]
    assert [f["articles"] for f in late] == [["HRB-2008 art. 14", "HRB-2008 art. 28(2)"]]
    assert "due to be filed by 2026-11-09" in late[0]["detail"]

    # Queryable by the article it cites.
    r = await client.get(
        "/api/v1/findings",
        params={"article": "HRB-2008 art. 26", "district": unit["district"], "status": "open"},
        headers=tech,
    )
    assert r.json()["total"] == 1

    # Adding the intrusion alarm narrows the case to what is still missing: the breach goes on.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "报警系统", "system_type": "intrusion_alarm", "place_ids": [place["id"]]},
        headers=tech,
    )
    assert r.status_code == 201
    r = await client.get(
        "/api/v1/findings",
        params={"unit_id": unit["id"], "status": "open", "rule": "mandated_system_missing"},
        headers=tech,
    )
    assert [(f["id"], f["detail"]) for f in r.json()["items"]] == [
        (case["id"], "营业大厅 (mandated place hrb-7-4) has no 出入口控制系统 (access_control)")
    ]
    # With access control too, the case is rectified.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "门禁系统", "system_type": "access_control", "place_ids": [place["id"]]},
        headers=tech,
    )
    assert r.status_code == 201
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit["id"], "status": "rectified"}, headers=tech
    )
    assert [f["id"] for f in r.json()["items"] if f["rule"] == "mandated_system_missing"] == [case["id"]]


async def test_the_office_decides_a_harbin_filing(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """HRB art. 16: "备案材料齐全，符合备案要求的，公安机关技防管理机构应当予以备案，并出具技防工程备案
    回执单。备案材料不齐全或不符合备案要求的，公安机关技防管理机构应当告知其需要补正的全部材料，备案单位
    应当在10日内补正有关材料后向公安机关技防管理机构备案。" The platform pre-checks the set; the
    office accepts (a receipt) or returns (a notice of all to supplement, 10 days) — ruling 6."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, _, system = await _bank_with_video(client, tech, "harbin-2008", "hrb-7-4")
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [system["id"]]}, headers=admin
    )
    assert r.status_code == 201, r.text
    filing = r.json()
    assert filing["status"] == "draft"
    assert filing["due_date"] == "2026-11-09"  # accepted 2026-10-10 + 30 days (HRB art. 14)
    assert len(filing["precheck_missing"]) == 4
    for code in ("filing_form", "location_diagram", "layout_plan"):
        r = await client.put(
            f"/api/v1/filings/{filing['id']}/materials/{code}",
            content=PDF,
            headers={**admin, "Content-Type": "application/pdf"},
        )
        assert r.status_code == 200, r.text
    assert r.json()["precheck_missing"] == [
        {"code": "inspection_report", "name": "技防工程检验合格报告", "article": "HRB-2008 art. 15(4)"}
    ]
    # The pre-check refuses an incomplete set at once, naming what is missing; nothing changes.
    r = await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=admin)
    assert r.status_code == 422, r.text
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [
        ("materials.inspection_report", "complete-set")
    ]
    assert (await client.get(f"/api/v1/filings/{filing['id']}", headers=admin)).json()["status"] == "draft"

    r = await client.put(
        f"/api/v1/filings/{filing['id']}/materials/inspection_report",
        content=PDF,
        headers={**admin, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 200
    r = await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=admin)
    assert r.status_code == 200, r.text
    submitted = r.json()
    # A complete set is before the office, not filed: no receipt, and only the office decides.
    assert submitted["status"] == "submitted" and submitted["receipt_number"] is None
    assert (await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=admin)).status_code == 403
    # Submitted, the unit has done its part: the overdue filing is no longer the unit's finding.
    r = await client.get(
        "/api/v1/findings",
        params={"unit_id": unit["id"], "status": "open", "rule": "filing_missing"},
        headers=tech,
    )
    assert r.json()["items"] == []

    # The office returns it: every material to supplement, anything else, and 10 days.
    r = await client.post(
        f"/api/v1/filings/{filing['id']}/return",
        json={"missing_materials": ["layout_plan"], "items": ["布局图未标注摄像机位置"]},
        headers=tech,
    )
    assert r.status_code == 200, r.text
    returned = r.json()
    assert returned["status"] == "returned"
    notice = returned["notice"]
    assert notice["missing"] == [
        {"code": "layout_plan", "name": "技防工程布局图", "article": "HRB-2008 art. 15(3)"}
    ]
    assert notice["items"] == ["布局图未标注摄像机位置"] and notice["article"] == "HRB-2008 art. 16 para. 2"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert notice["supplement_deadline"] == (today + dt.timedelta(days=10)).isoformat()
    # A returned filing cannot be accepted before it is submitted again.
    assert (await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)).status_code == 409

    # Supplemented and submitted again, the office accepts it: filed, with a receipt.
    r = await client.put(
        f"/api/v1/filings/{filing['id']}/materials/layout_plan",
        content=PDF,
        headers={**admin, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 200
    assert (await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=admin)).json()[
        "status"
    ] == "submitted"
    r = await client.post(f"/api/v1/filings/{filing['id']}/accept", headers=tech)
    assert r.status_code == 200, r.text
    filed = r.json()
    assert filed["status"] == "filed" and filed["notice"] is None and filed["decided_at"]
    assert filed["receipt_number"].startswith(f"HRB-2008-BA-{today.year}-")
    assert filed["articles"] == ["HRB-2008 art. 14", "HRB-2008 art. 16 para. 1"]
    r = await client.get(f"/api/v1/filings/{filing['id']}/receipt", headers=admin)
    assert r.status_code == 200
    assert filed["receipt_number"] in r.text and unit["uscc"] in r.text


async def test_a_returned_filing_not_supplemented_in_ten_days_is_a_finding(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 16 para. 2: "备案单位应当在10日内补正有关材料"; not filed is art. 28(2)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, _, system = await _bank_with_video(client, tech, "harbin-2008", "hrb-7-4")
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [system["id"]]}, headers=tech
    )
    filing = r.json()
    for code in ("filing_form", "location_diagram", "layout_plan", "inspection_report"):
        await client.put(
            f"/api/v1/filings/{filing['id']}/materials/{code}",
            content=PDF,
            headers={**tech, "Content-Type": "application/pdf"},
        )
    assert (await client.post(f"/api/v1/filings/{filing['id']}/submit", headers=tech)).status_code == 200
    r = await client.post(f"/api/v1/filings/{filing['id']}/return", json={}, headers=tech)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "something-to-supplement", r.text
    r = await client.post(
        f"/api/v1/filings/{filing['id']}/return", json={"items": ["检验报告已过期"]}, headers=tech
    )
    assert r.status_code == 200, r.text
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=11)  # past the 10 days
    async with session_scope(registry_app.state.sessionmaker) as session:
        await FindingService(session, registry_app.state.policy_book, clock=lambda: later).recompute(
            [unit["id"]]
        )
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit["id"], "rule": "filing_incomplete"}, headers=tech
    )
    items = r.json()["items"]
    assert [f["articles"] for f in items] == [["HRB-2008 art. 16 para. 2", "HRB-2008 art. 28(2)"]]
    assert "检验报告已过期" in items[0]["detail"]


async def test_camera_in_fitting_room_is_refused_citing_art_19(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit, _, _ = await _bank_with_video(client, tech, "harbin-2008", "hrb-7-4")
    r = await client.post(
        f"/api/v1/units/{unit['id']}/devices",
        json={"kind": "camera", "name": "试衣间摄像机", "location_type": "fitting_room"},
        headers=tech,
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["article"] == "HRB-2008 art. 19 para. 2"
    assert problem["errors"][0]["field"] == "location_type"
    # Nothing was stored.
    r = await client.get("/api/v1/devices", params={"unit_id": unit["id"]}, headers=tech)
    assert r.json()["total"] == 0


async def test_same_unit_in_kunming_gets_kunmings_rules(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit, _, system = await _bank_with_video(client, tech, "kunming-2012", "kmg-6-5")
    # KMG art. 6 asks for a technical-prevention system, which the video system is; what is
    # open is the firm's late filing (art. 16), for which KMG-2012 provides no penalty.
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    r0 = r.json()["items"]
    assert [(f["rule"], f["articles"], f["penalty"]) for f in r0] == [
        ("filing_missing", ["KMG-2012 art. 16"], None)
    ]
    # A nursing room is forbidden in Kunming (art. 7), not in Harbin.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/devices",
        json={"kind": "camera", "name": "哺乳室摄像机", "location_type": "nursing_room"},
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["article"] == "KMG-2012 art. 7"
    # KMG art. 16 "从事技防工程设计、施工和维修的单位，应当自项目完成之日起10日内到项目所在地县（市、
    # 区）公安机关技防管理机构备案": the late filing is the construction firm's, not the unit's.
    [late] = r0
    assert late["liable"] == {
        "party": "firm",
        "firm_id": None,
        "name": "黑龙江安防工程有限公司",
        "uscc": None,
    }
    # The firm files each project, with no statutory list of materials: a filing names its project.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [system["id"]]}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "project_id"
    firm = await create_firm(client, tech)
    r = await client.post(
        f"/api/v1/firms/{firm['id']}/projects",
        json={"system_id": system["id"], "kind": "construction", "completion_date": "2026-10-01"},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    project = r.json()
    # The case goes on under the project, naming the registered firm.
    r = await client.get(f"/api/v1/findings/{late['id']}", headers=tech)
    assert r.json()["subject_type"] == "project" and r.json()["subject_id"] == project["id"]
    assert r.json()["liable"] == {
        "party": "firm",
        "firm_id": firm["id"],
        "name": firm["name"],
        "uscc": firm["uscc"],
    }
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"project_id": project["id"]}, headers=tech
    )
    assert r.status_code == 201, r.text
    assert r.json()["due_date"] == "2026-10-11"  # completed 2026-10-01 + 10 days
    assert r.json()["firm_name"] == firm["name"] and r.json()["system_ids"] == [system["id"]]
    r = await client.post(f"/api/v1/filings/{r.json()['id']}/submit", headers=tech)
    assert r.json()["status"] == "submitted"
    r = await client.post(f"/api/v1/filings/{r.json()['id']}/accept", headers=tech)
    filed = r.json()
    assert filed["status"] == "filed" and filed["receipt_number"].startswith("KMG-2012-BA-")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert filed["filed_on"] == today.isoformat()
    assert filed["days_late"] == max(0, (today - dt.date(2026, 10, 11)).days)
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert r.json()["items"] == []


def _readme_example() -> str:
    """The shell block of the README's "follow the law with curl", as a newcomer pastes it."""
    text = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Example: follow the law with curl", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


async def test_the_readme_example_runs_twice_on_the_same_database(
    registry_url: str, token: TokenFactory, tmp_path: Path
) -> None:
    script = _readme_example()
    assert 'eval "$(make -s tokens)"' in script and "R=http://127.0.0.1:8001/api/v1" in script
    # The tokens and the address of this test's registry instead of `make tokens` and :8001.
    script = script.replace('eval "$(make -s tokens)"', "").replace(
        "R=http://127.0.0.1:8001/api/v1", f"R={registry_url}/api/v1"
    )
    env = {"PATH": os.environ["PATH"], "TECH_OFFICE_TOKEN": token(Role.TECH_OFFICE), "HOME": str(tmp_path)}

    async def run() -> str:
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()
        # What differs between runs: the new records' ids.
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", out.decode())

    first = await run()
    # What the README says the reader sees.
    assert "HRB-2008 art. 7(4)" in first and "HRB-2008 art. 26" in first
    assert "materials.inspection_report" in first and '"status": "submitted"' in first
    assert '"status": "filed"' in first and "HRB-2008 art. 16 para. 1" in first
    assert "HRB-2008 art. 19 para. 2" in first and "KMG-2012 art. 7" in first
    assert '"status": "closed"' in first
    second = await run()
    # The same answers (findings created together may be listed in either order).
    assert sorted(second.splitlines()) == sorted(first.splitlines())
