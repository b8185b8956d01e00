"""HRB art. 19 para. 1: "控制知密人员范围，对知密人员进行登记，存档备查" (KMG art. 18 alike): every
read of a unit's confidential filing materials is registered before the material is handed
out, and the tech office lists who has seen them."""

from __future__ import annotations

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_unit

PDF = pdf()


async def test_every_read_of_a_material_is_registered(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE, subject="tech-office-zhang"))
    unit = await create_unit(client, tech)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"], subject="unit-admin-li"))
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems", json={"name": "视频", "system_type": "video"}, headers=tech
    )
    r = await client.post(
        f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [r.json()["id"]]}, headers=admin
    )
    filing = r.json()
    r = await client.put(
        f"/api/v1/filings/{filing['id']}/materials/layout_plan",
        content=PDF,
        headers={**admin, "Content-Type": "application/pdf"},
    )
    material = r.json()["materials"][0]
    reads = f"/api/v1/units/{unit['id']}/confidential-reads"
    assert (await client.get(reads, headers=tech)).json() == []  # uploading is not reading

    for who in (admin, tech):
        r = await client.get(f"/api/v1/filings/{filing['id']}/materials/{material['id']}", headers=who)
        assert r.status_code == 200 and r.content == PDF
    seen = (await client.get(reads, headers=tech)).json()
    assert [(s["reader"], s["code"], s["material_id"]) for s in seen] == [
        ("tech-office-zhang", "layout_plan", material["id"]),
        ("unit-admin-li", "layout_plan", material["id"]),
    ]
    assert seen[1]["roles"] == ["unit_admin"]
    # The list is the tech office's; the unit may not see who read its materials from the office.
    assert (await client.get(reads, headers=admin)).status_code == 403
