"""The forbidden-place lists end in 等 (HRB art. 19 para. 2 "宾馆客房、商场试衣间、更衣室、浴室、
卫生间等涉及公民隐私的场所或部位"; KMG art. 7 "...哺乳室等涉及公民个人隐私的场所和区域"; ruling 5):
the tech office adds a place type to a pack's list with its reason, effective at once."""

from __future__ import annotations

import uuid

import httpx

from jifang.auth import Role
from jifang.registry_client import RegistryClient
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit


async def test_the_office_adds_a_place_type_effective_at_once(
    client: httpx.AsyncClient, registry_url: str, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE, subject="tech-office-wang"))
    unit = await create_unit(client, tech, jurisdiction="kunming-2012")
    # Kunming's text does not name government organs' internal offices (Harbin's does).
    camera = await create_device(
        client,
        tech,
        unit["id"],
        location_type="government_internal_office",
        onvif_address="http://127.0.0.1:9/onvif",
    )
    url = "/api/v1/policy/kunming-2012/forbidden-places"
    reason = {"reason": "机关内部办公室涉及工作秘密和个人隐私"}
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    assert (
        await client.put(f"{url}/government_internal_office", json=reason, headers=admin)
    ).status_code == 403
    # A type the text already lists is not the office's to add.
    assert (await client.put(f"{url}/nursing_room", json=reason, headers=tech)).status_code == 409

    r = await client.put(f"{url}/government_internal_office", json=reason, headers=tech)
    assert r.status_code == 200, r.text
    assert (r.json()["article"], r.json()["added_by"]) == ("KMG-2012 art. 7", "tech-office-wang")
    # Published with the pack, with its reason.
    pack = (await client.get("/api/v1/policy/kunming-2012", headers=admin)).json()
    assert pack["forbidden_camera_places"]["added"] == {"government_internal_office": reason["reason"]}
    # A new camera there is refused, citing the article and the reason.
    r = await client.post(
        f"/api/v1/units/{unit['id']}/devices",
        json={"kind": "camera", "name": "办公室", "location_type": "government_internal_office"},
        headers=tech,
    )
    assert r.status_code == 422 and r.json()["article"] == "KMG-2012 art. 7", r.text
    assert reason["reason"] in r.json()["detail"]
    # The camera already there is a finding at once, and the gateway is told.
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit["id"], "rule": "forbidden_camera_place"}, headers=tech
    )
    assert [f["subject_id"] for f in r.json()["items"]] == [camera["id"]]
    async with RegistryClient(registry_url, token(Role.SERVICE)) as registry:
        view = await registry.camera(uuid.UUID(camera["id"]))
    assert view is not None and view.forbidden_place and reason["reason"] in view.forbidden_place
    # Harbin is untouched.
    hrb = (await client.get("/api/v1/policy/harbin-2008", headers=admin)).json()
    assert hrb["forbidden_camera_places"]["added"] == {}

    # Withdrawn: allowed again, and the finding is rectified.
    assert (await client.delete(f"{url}/government_internal_office", headers=tech)).status_code == 204
    assert (await client.delete(f"{url}/government_internal_office", headers=tech)).status_code == 404
    r = await client.get(
        "/api/v1/findings", params={"unit_id": unit["id"], "rule": "forbidden_camera_place"}, headers=tech
    )
    assert [f["status"] for f in r.json()["items"]] == ["rectified"]


async def test_hostile_input_to_the_lists_of_the_law(client: httpx.AsyncClient, token: TokenFactory) -> None:
    """A reason with a NUL or of a novel's length, an encoded path, a pack that is not one:
    each a problem naming what is wrong, nothing stored."""
    tech = auth(token(Role.TECH_OFFICE))
    url = "/api/v1/policy/kunming-2012/forbidden-places/bathroom"
    r = await client.put(url, json={"reason": "浴室\x00"}, headers=tech)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "no-nul-characters", r.text
    r = await client.put(url, json={"reason": "长" * 2001}, headers=tech)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.reason", r.text
    r = await client.put(
        "/api/v1/policy/..%2Fharbin-2008/forbidden-places/bathroom", json={"reason": "x"}, headers=tech
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", r.text
    r = await client.put(
        "/api/v1/policy/kunming-2012/forbidden-places/attic", json={"reason": "x"}, headers=tech
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.location_type", r.text
    pack = (await client.get("/api/v1/policy/kunming-2012", headers=tech)).json()
    assert "bathroom" not in pack["forbidden_camera_places"]["added"]
