"""HRB art. 7 ends its list of systems in 等 ("还应当分别建立入侵报警系统、出入口控制系统等技防系统"):
which of them a place needs is the tech office's to judge (ruling 5). It records, with a reason,
that a listed type does not apply to a place, and the place's one finding stops asking for it."""

from __future__ import annotations

from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit


async def _place_finding(
    client: httpx.AsyncClient, tech: dict[str, str], unit_id: str
) -> list[dict[str, Any]]:
    r = await client.get(
        "/api/v1/findings",
        params={"unit_id": unit_id, "rule": "mandated_system_missing", "limit": 500},
        headers=tech,
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_one_case_per_place_and_the_office_exempts_a_listed_type(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places",
        json={"name": "营业大厅", "category": "hrb-7-4", "location_type": "lobby"},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    hall = r.json()
    assert hall["exemptions"] == []
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "视频", "system_type": "video", "place_ids": [hall["id"]]},
        headers=tech,
    )
    assert r.status_code == 201, r.text

    # One breach of art. 7(4), one art. 26 case, listing both missing types (ruling 2).
    [case] = await _place_finding(client, tech, unit["id"])
    assert "入侵报警系统" in case["detail"] and "出入口控制系统" in case["detail"]
    assert case["articles"] == ["HRB-2008 art. 7(4)", "HRB-2008 art. 26"]

    # The unit may not exempt itself; video is never open; a type must be one the place needs.
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    url = f"/api/v1/places/{hall['id']}/exemptions"
    reason = {"reason": "出入口控制由所在大楼统一设置（经现场检查确认）"}
    assert (await client.put(f"{url}/access_control", json=reason, headers=admin)).status_code == 403
    r = await client.put(f"{url}/video", json=reason, headers=tech)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.system_type", r.text
    r = await client.put(f"{url}/access_control", json={"reason": " "}, headers=tech)
    assert r.status_code == 422, r.text
    # The hall's category asks for the alarm; a school gate's would not (nothing to exempt).
    other = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{other['id']}/places", json={"name": "侧门", "category": "hrb-7-10"}, headers=tech
    )
    gate = r.json()["id"]
    r = await client.put(f"/api/v1/places/{gate}/exemptions/intrusion_alarm", json=reason, headers=tech)
    assert r.status_code == 409 and "required-here" in r.json()["detail"], r.text

    r = await client.put(f"{url}/access_control", json=reason, headers=tech)
    assert r.status_code == 200, r.text
    [exemption] = r.json()["exemptions"]
    assert (exemption["system_type"], exemption["reason"]) == ("access_control", reason["reason"])
    assert exemption["recorded_by"]
    # The same case, no longer asking for access control.
    [same] = await _place_finding(client, tech, unit["id"])
    assert same["id"] == case["id"] and same["status"] == "open"
    assert "出入口控制系统" not in same["detail"] and "入侵报警系统" in same["detail"]

    # With the alarm installed nothing is missing: the case is rectified.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems",
        json={"name": "报警", "system_type": "intrusion_alarm", "place_ids": [hall["id"]]},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    assert [f["status"] for f in await _place_finding(client, tech, unit["id"])] == ["rectified"]

    # Withdrawn, the type is asked for again (a new case: the old one was rectified).
    assert (await client.delete(f"{url}/access_control", headers=tech)).status_code == 204
    assert (await client.delete(f"{url}/access_control", headers=tech)).status_code == 404
    statuses = sorted(f["status"] for f in await _place_finding(client, tech, unit["id"]))
    assert statuses == ["open", "rectified"]


async def test_kunming_has_no_open_system_list(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places", json={"name": "金库", "category": "kmg-6-5"}, headers=tech
    )
    assert r.status_code == 201, r.text
    r = await client.put(
        f"/api/v1/places/{r.json()['id']}/exemptions/access_control", json={"reason": "x"}, headers=tech
    )
    assert r.status_code == 409 and "open-list-only" in r.json()["detail"], r.text
