"""A change to a filed system requires a new filing (HRB art. 17); filing it again supersedes
the old one and closes the finding."""

from __future__ import annotations

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_unit

PDF = pdf()
MATERIALS = ("filing_form", "location_diagram", "layout_plan", "inspection_report")


async def _file(
    client: httpx.AsyncClient, h: dict[str, str], unit_id: str, system_id: str, kind: str
) -> dict:  # type: ignore[type-arg]
    f = (
        await client.post(
            f"/api/v1/units/{unit_id}/filings", json={"system_ids": [system_id], "kind": kind}, headers=h
        )
    ).json()
    for code in MATERIALS:
        r = await client.put(
            f"/api/v1/filings/{f['id']}/materials/{code}",
            content=PDF,
            headers={**h, "Content-Type": "application/pdf"},
        )
        assert r.status_code == 200
    r = await client.post(f"/api/v1/filings/{f['id']}/submit", headers=h)
    assert r.json()["status"] == "submitted"
    r = await client.post(f"/api/v1/filings/{f['id']}/accept", headers=h)
    assert r.json()["status"] == "filed"
    return r.json()  # type: ignore[no-any-return]


async def test_change_after_filing_needs_refiling(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    system = (
        await client.post(
            f"/api/v1/units/{unit['id']}/systems",
            json={
                "name": "视频",
                "system_type": "video",
                "acceptance_date": "2026-11-01",
                "installer_firm": "甲公司",
            },
            headers=tech,
        )
    ).json()
    first = await _file(client, tech, unit["id"], system["id"], "initial")
    # A material can be read back by the unit; the receipt exists.
    material = first["materials"][0]
    r = await client.get(
        f"/api/v1/filings/{first['id']}/materials/{material['id']}",
        headers=auth(token(Role.UNIT_ADMIN, unit_id=unit["id"])),
    )
    assert r.status_code == 200 and r.content == PDF

    r = await client.patch(f"/api/v1/systems/{system['id']}", json={"installer_firm": "乙公司"}, headers=tech)
    assert r.json()["changed_since_filing"] is True
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert [(f["rule"], f["articles"]) for f in r.json()["items"]] == [
        ("refiling_required", ["HRB-2008 art. 17", "HRB-2008 art. 28(2)"])
    ]
    second = await _file(client, tech, unit["id"], system["id"], "change")
    assert second["receipt_number"] != first["receipt_number"]
    filings = {
        f["id"]: f["status"]
        for f in (await client.get(f"/api/v1/units/{unit['id']}/filings", headers=tech)).json()
    }
    assert filings == {first["id"]: "superseded", second["id"]: "filed"}
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert r.json()["items"] == []
    # A name change is not a change of what was filed.
    r = await client.patch(f"/api/v1/systems/{system['id']}", json={"name": "视频监控"}, headers=tech)
    assert r.json()["changed_since_filing"] is False
