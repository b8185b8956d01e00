"""A unit's management rules kept as documents and checked at inspection: HRB art. 20(1)-(3)
with art. 28(3); KMG art. 20(1)(2)(4) and 21(1)(2), with art. 25 for art. 21's only."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import httpx
from fastapi import FastAPI

from jifang.auth import Role
from jifang.db import session_scope
from services.registry.findings.service import FindingService
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_unit

RULES = "/api/v1/units/{}/management-rules"
HRB_RULES = [
    "training",
    "inspection",
    "maintenance",
    "emergency",
    "duty_monitoring",
    "materials",
    "use_registration",
]
INSPECTOR = {"name": "李警官", "badge_number": "230102", "signed_at": "2026-02-01T16:00:00+08:00"}


def _pdf(text: str) -> bytes:
    return pdf(text)


async def _put(
    client: httpx.AsyncClient, headers: dict[str, str], unit_id: str, kind: str, data: bytes | None = None
) -> httpx.Response:
    return await client.put(
        f"{RULES.format(unit_id)}/{kind}",
        content=data if data is not None else _pdf(kind),
        params={"filename": f"{kind}制度.pdf"},
        headers={**headers, "Content-Type": "application/pdf"},
    )


async def _unit_with_system(
    client: httpx.AsyncClient, tech: dict[str, str], jurisdiction: str = "harbin-2008"
) -> tuple[dict[str, Any], str]:
    unit = await create_unit(client, tech, jurisdiction=jurisdiction)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "报警系统", "system_type": "intrusion_alarm", "acceptance_date": "2025-06-01"},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    return unit, r.json()["id"]


async def _inspect(
    client: httpx.AsyncClient, tech: dict[str, str], system_id: str, on: str = "2026-02-01", **over: Any
) -> dict[str, Any]:
    inspector = {**INSPECTOR, "signed_at": f"{on}T16:00:00+08:00"}
    body = {"inspected_on": on, "result": "passed", "inspectors": [inspector], **over}
    r = await client.post(f"/api/v1/systems/{system_id}/inspections", json=body, headers=tech)
    assert r.status_code == 201, r.text
    inspection: dict[str, Any] = r.json()
    return inspection


async def _cases(client: httpx.AsyncClient, tech: dict[str, str], unit_id: str) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit_id, "rule": "management_rules_missing"}, headers=tech
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _sweep_at(registry_app: FastAPI, unit_id: str, later: dt.datetime) -> None:
    async with session_scope(registry_app.state.sessionmaker) as session:
        await FindingService(session, registry_app.state.policy_book, clock=lambda: later).recompute(
            [unit_id]
        )


async def test_upload_list_replace_and_download(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """HRB art. 20: "（二）建立安全检查、维护保养、应急处理等制度；（三）建立值班监看、资料管理、图像
    信息使用登记等制度" — the unit keeps its rules on file; a new version replaces the current
    one, and the one replaced stays with who uploaded it and when."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"], subject="unit-admin-zhao"))

    listed = (await client.get(RULES.format(unit["id"]), headers=admin)).json()
    assert [r["kind"] for r in listed["rules"]] == HRB_RULES and listed["missing"] == HRB_RULES
    assert [(r["kind"], r["article"]) for r in listed["rules"]][:2] == [
        ("training", "HRB-2008 art. 20(1)"),
        ("inspection", "HRB-2008 art. 20(2)"),
    ]

    first = _pdf("应急预案 2024")
    r = await _put(client, admin, unit["id"], "emergency", first)
    assert r.status_code == 200, r.text
    rule = r.json()
    assert (rule["name"], rule["article"], rule["on_file"]) == ("应急处理制度", "HRB-2008 art. 20(2)", True)
    assert rule["document"]["sha256"] == hashlib.sha256(first).hexdigest()
    assert rule["document"]["size_bytes"] == len(first)
    assert rule["document"]["uploaded_by"] == "unit-admin-zhao" and rule["earlier_versions"] == []

    second = _pdf("应急处理制度 2026")
    rule = (await _put(client, tech, unit["id"], "emergency", second)).json()
    assert rule["document"]["sha256"] == hashlib.sha256(second).hexdigest()
    (replaced,) = rule["earlier_versions"]
    assert replaced["sha256"] == hashlib.sha256(first).hexdigest()
    assert replaced["uploaded_by"] == "unit-admin-zhao" and replaced["superseded_at"] is not None

    listed = (await client.get(RULES.format(unit["id"]), headers=tech)).json()
    assert listed["missing"] == [k for k in HRB_RULES if k != "emergency"]
    emergency = next(r for r in listed["rules"] if r["kind"] == "emergency")
    assert emergency["document"]["filename"] == "emergency制度.pdf"

    r = await client.get(f"{RULES.format(unit['id'])}/emergency/content", headers=admin)
    assert r.status_code == 200 and r.content == second
    assert r.headers["content-type"] == "application/pdf"
    r = await client.get(f"{RULES.format(unit['id'])}/training/content", headers=admin)
    assert r.status_code == 404

    # A closed unit's rules are its history: read, never changed.
    r = await client.post(f"/api/v1/units/{unit['id']}/close", json={"reason": "支行撤并"}, headers=tech)
    assert r.status_code == 200, r.text
    assert (await _put(client, tech, unit["id"], "training")).status_code == 409
    r = await client.get(f"{RULES.format(unit['id'])}/emergency/content", headers=tech)
    assert r.status_code == 200 and r.content == second


async def test_a_unit_sees_and_changes_only_its_own(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit_a = await create_unit(client, tech)
    unit_b = await create_unit(client, tech)
    assert (await _put(client, tech, unit_b["id"], "materials")).status_code == 200
    admin_a = auth(token(Role.UNIT_ADMIN, unit_id=unit_a["id"]))
    assert (await client.get(RULES.format(unit_b["id"]), headers=admin_a)).status_code == 404
    r = await client.get(f"{RULES.format(unit_b['id'])}/materials/content", headers=admin_a)
    assert r.status_code == 404
    assert (await _put(client, admin_a, unit_b["id"], "training")).status_code == 404
    listed = (await client.get(RULES.format(unit_b["id"]), headers=tech)).json()
    assert "training" in listed["missing"]
    # Police operators read no unit's rules; nobody but the unit and the tech office uploads them.
    police = auth(token(Role.POLICE_OPERATOR))
    assert (await client.get(RULES.format(unit_b["id"]), headers=police)).status_code == 403
    assert (await _put(client, auth(token(Role.AUDITOR)), unit_b["id"], "training")).status_code == 403


async def test_unknown_kinds_and_bad_files_are_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 20(2) "建立日常检查、安全管理和维护保养制度" names a security-management rule that
    HRB art. 20 does not: a Harbin unit is refused it, naming the field and the rule."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await _put(client, tech, unit["id"], "security_management")
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert (error["field"], error["rule"]) == ("path.kind", "pack-management-rule")
    assert "harbin-2008" in error["message"] and "training" in error["message"]
    r = await _put(client, tech, unit["id"], "fire_drill")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.kind"
    kunming = await create_unit(client, tech, jurisdiction="kunming-2012")
    assert (await _put(client, tech, kunming["id"], "security_management")).status_code == 200

    r = await _put(client, tech, unit["id"], "training", b"MZ\x90\x00")
    assert r.status_code == 415  # claims PDF, is not
    # Over the material limit (256 KiB in the tests), under the 1 MiB of other bodies.
    r = await _put(client, tech, unit["id"], "training", b"%PDF-" + b"0" * 300_000)
    assert r.status_code == 413 and r.json()["type"] == "/problems/payload-too-large"
    assert (await client.get(RULES.format(unit["id"]), headers=tech)).json()["missing"] == HRB_RULES


async def test_harbin_inspection_opens_one_case_corrected_in_time(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 20 "（二）建立安全检查、维护保养、应急处理等制度；（三）建立值班监看、资料管理、图像信息
    使用登记等制度"; art. 28 "（三）未建立或者违反技防系统安全管理制度的" — "予以警告，责令限期改正".
    Rules missing at the inspection are one case (ruling 2) listing them all; on file before the
    deadline, it is rectified."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system_id = await _unit_with_system(client, tech)
    for kind in ("training", "inspection", "maintenance", "duty_monitoring"):
        assert (await _put(client, tech, unit["id"], kind)).status_code == 200
    assert await _cases(client, tech, unit["id"]) == []  # no inspection has found them yet

    inspection = await _inspect(client, tech, system_id)
    found = {r["kind"]: r["status"] for r in inspection["management_rules"]}
    assert found == {
        **dict.fromkeys(("training", "inspection", "maintenance", "duty_monitoring"), "on_file"),
        **dict.fromkeys(("emergency", "materials", "use_registration"), "missing"),
    }
    (case,) = await _cases(client, tech, unit["id"])
    assert case["subject_type"] == "unit" and case["status"] == "open"
    assert case["articles"] == ["HRB-2008 art. 20(2)", "HRB-2008 art. 20(3)", "HRB-2008 art. 28(3)"]
    for name in (
        "应急处理制度 (emergency)",
        "资料管理制度 (materials)",
        "图像信息使用登记制度 (use_registration)",
    ):
        assert name in case["detail"]
    assert "2026-02-01" in case["detail"]
    assert case["penalty"]["measure"] == "警告，责令限期改正"

    deadline = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    r = await client.post(
        f"/api/v1/findings/{case['id']}/order", json={"rectification_deadline": deadline}, headers=tech
    )
    assert r.status_code == 200, r.text
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    assert (await _put(client, admin, unit["id"], "emergency")).status_code == 200
    case = (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()
    assert case["status"] == "ordered" and "emergency" not in case["detail"]
    assert "materials" in case["detail"] and "use_registration" in case["detail"]
    for kind in ("materials", "use_registration"):
        assert (await _put(client, admin, unit["id"], kind)).status_code == 200
    case = (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()
    assert case["status"] == "rectified" and case["escalated_at"] is None
    assert case["penalty"]["step"] == 1


async def test_harbin_training_alone_cites_no_penalty(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """HRB art. 20 "（一）对技防系统操作人员、管理人员进行岗位技能和保密知识的培训" is a duty to train,
    not a rule: art. 28 "（三）未建立或者违反技防系统安全管理制度的" does not name it, so a case of
    training alone cites the duty and no penalty."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system_id = await _unit_with_system(client, tech)
    for kind in HRB_RULES[1:]:
        assert (await _put(client, tech, unit["id"], kind)).status_code == 200
    await _inspect(client, tech, system_id)
    (case,) = await _cases(client, tech, unit["id"])
    assert case["articles"] == ["HRB-2008 art. 20(1)"] and case["penalty"] is None
    assert (await _put(client, tech, unit["id"], "training")).status_code == 200
    assert (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()["status"] == "rectified"
    # The next inspection finds every rule on file: no new case.
    await _inspect(client, tech, system_id, on="2026-03-01")
    assert [c["status"] for c in await _cases(client, tech, unit["id"])] == ["rectified"]


async def test_harbin_case_corrected_after_the_deadline_is_late(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 28: "予以警告，责令限期改正；逾期不改正的，对单位处以500元以上2000元以下罚款，对单位
    主要负责人和直接责任人员分别处以200元以上500元以下罚款" — the rules put on file after the deadline:
    corrected late, with the fine range (ruling 3)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system_id = await _unit_with_system(client, tech)
    await _inspect(client, tech, system_id)
    (case,) = await _cases(client, tech, unit["id"])
    assert case["articles"] == [
        "HRB-2008 art. 20(1)",
        "HRB-2008 art. 20(2)",
        "HRB-2008 art. 20(3)",
        "HRB-2008 art. 28(3)",
    ]
    deadline = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    r = await client.post(
        f"/api/v1/findings/{case['id']}/order", json={"rectification_deadline": deadline}, headers=tech
    )
    assert r.status_code == 200, r.text
    await _sweep_at(registry_app, unit["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    escalated = (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()
    assert escalated["status"] == "escalated" and escalated["penalty"]["step"] == 2

    for kind in HRB_RULES:
        assert (await _put(client, tech, unit["id"], kind)).status_code == 200
    late = (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()
    assert late["status"] == "corrected_late" and late["rectified_at"]
    assert late["escalated_at"] == escalated["escalated_at"] and late["rectification_deadline"] == deadline
    assert late["penalty"]["step"] == 2
    assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in late["penalty"]["fines"]} == {
        ("unit", 500, 2000),
        ("responsible_person", 200, 500),
    }


async def test_inadequate_rules_and_a_later_inspection(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """HRB art. 28(3) "未建立或者违反技防系统安全管理制度": a document on file that is not a real rule
    is marked inadequate by the inspectors, with a note; it stays so at later records that do not
    judge the rules until a new version is uploaded, and a later inspection finding every rule on
    file ends the case."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system_id = await _unit_with_system(client, tech)
    for kind in HRB_RULES:
        assert (await _put(client, tech, unit["id"], kind)).status_code == 200
    note = "值班监看制度仅有标题，无具体内容"
    r = await client.post(
        f"/api/v1/systems/{system_id}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "passed",
            "inspectors": [INSPECTOR],
            "management_rules_inadequate": [
                {"kind": "training", "note": "无"},
                {"kind": "fire_drill", "note": "x"},
            ],
        },
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith(
        "body.management_rules_inadequate"
    )
    inspection = await _inspect(
        client, tech, system_id, management_rules_inadequate=[{"kind": "duty_monitoring", "note": note}]
    )
    marked = next(r for r in inspection["management_rules"] if r["kind"] == "duty_monitoring")
    assert (marked["status"], marked["note"]) == ("inadequate", note)
    (case,) = await _cases(client, tech, unit["id"])
    assert case["articles"] == ["HRB-2008 art. 20(3)", "HRB-2008 art. 28(3)"]
    assert f"值班监看制度 (duty_monitoring: {note})" in case["detail"]

    # Another system's record the same day, not judging the rules: the mark stands.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "acceptance_date": "2025-06-01"},
        headers=tech,
    )
    other = await _inspect(client, tech, r.json()["id"])
    assert (
        next(r for r in other["management_rules"] if r["kind"] == "duty_monitoring")["status"] == "inadequate"
    )
    assert [c["status"] for c in await _cases(client, tech, unit["id"])] == ["open"]

    # A later inspection that judges them all adequate ends the case.
    await _inspect(client, tech, system_id, on="2026-03-01", management_rules_inadequate=[])
    assert [c["status"] for c in await _cases(client, tech, unit["id"])] == ["rectified"]

    # Marked again, then a new version uploaded: corrected.
    await _inspect(
        client,
        tech,
        system_id,
        on="2026-04-01",
        management_rules_inadequate=[{"kind": "materials", "note": note}],
    )
    assert sorted(c["status"] for c in await _cases(client, tech, unit["id"])) == ["open", "rectified"]
    assert (await _put(client, tech, unit["id"], "materials", _pdf("资料管理制度 正文"))).status_code == 200
    assert [c["status"] for c in await _cases(client, tech, unit["id"])] == ["rectified", "rectified"]

    # A rule not on file cannot be marked inadequate: the record finds it missing.
    _, system2 = await _unit_with_system(client, tech)
    r = await client.post(
        f"/api/v1/systems/{system2}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "passed",
            "inspectors": [INSPECTOR],
            "management_rules_inadequate": [{"kind": "materials", "note": note}],
        },
        headers=tech,
    )
    assert r.status_code == 422
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [
        ("management_rules_inadequate.0.kind", "on-file")
    ]


async def test_kunming_cites_its_own_articles_and_never_warns(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """KMG art. 20: "（一）对操作人员、管理人员和维护人员进行岗位培训；（二）建立日常检查、安全管理和
    维护保养制度...（四）建立应急处理制度"; art. 21: "（一）建立值班监看、资料管理制度...（二）建立语音
    图像信息使用登记制度"; art. 25: "违反本规定第七条、第十九条、第二十一条、第二十二条规定的，由公安
    机关责令限期改正" — art. 20 has no penalty article, and Kunming has no warning step."""
    tech = auth(token(Role.TECH_OFFICE))
    unit, system_id = await _unit_with_system(client, tech, jurisdiction="kunming-2012")
    listed = (await client.get(RULES.format(unit["id"]), headers=tech)).json()
    assert [(r["kind"], r["article"]) for r in listed["rules"]] == [
        ("training", "KMG-2012 art. 20(1)"),
        ("inspection", "KMG-2012 art. 20(2)"),
        ("security_management", "KMG-2012 art. 20(2)"),
        ("maintenance", "KMG-2012 art. 20(2)"),
        ("emergency", "KMG-2012 art. 20(4)"),
        ("duty_monitoring", "KMG-2012 art. 21(1)"),
        ("materials", "KMG-2012 art. 21(1)"),
        ("use_registration", "KMG-2012 art. 21(2)"),
    ]
    for kind in ("training", "inspection", "security_management", "maintenance", "duty_monitoring"):
        assert (await _put(client, tech, unit["id"], kind)).status_code == 200
    await _inspect(client, tech, system_id)
    (case,) = await _cases(client, tech, unit["id"])
    assert case["articles"] == [
        "KMG-2012 art. 20(4)",
        "KMG-2012 art. 21(1)",
        "KMG-2012 art. 21(2)",
        "KMG-2012 art. 25",
    ]
    seen = [case]
    r = await client.post(f"/api/v1/findings/{case['id']}/order", json={}, headers=tech)
    assert r.status_code == 200 and r.json()["penalty"]["measure"] == "责令限期改正"
    seen.append(r.json())
    await _sweep_at(registry_app, unit["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
    escalated = (await client.get(f"/api/v1/findings/{case['id']}", headers=tech)).json()
    assert escalated["status"] == "escalated"
    assert {(f["party"], f["min_yuan"], f["max_yuan"]) for f in escalated["penalty"]["fines"]} == {
        ("unit", 2000, 5000),
        ("responsible_person", 200, 200),
    }
    seen.append(escalated)
    text = json.dumps(seen, ensure_ascii=False)
    assert "警告" not in text and "warning" not in text.lower()

    # Only art. 20's emergency rule missing: the duty is cited, no penalty.
    unit2, system2 = await _unit_with_system(client, tech, jurisdiction="kunming-2012")
    for r in listed["rules"]:
        if r["kind"] != "emergency":
            assert (await _put(client, tech, unit2["id"], r["kind"])).status_code == 200
    await _inspect(client, tech, system2)
    (case,) = await _cases(client, tech, unit2["id"])
    assert case["articles"] == ["KMG-2012 art. 20(4)"] and case["penalty"] is None
