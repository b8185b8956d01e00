"""A unit moving to another city's pack: each place takes the category there that truly
corresponds to what it is, or is marked for the tech office to re-classify (issue 13 item 15);
never a guess, and never a legal finding."""

from __future__ import annotations

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit


async def test_only_true_correspondences_map_the_rest_awaits_the_office(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)

    async def place(body: dict[str, object]) -> httpx.Response:
        return await client.post(f"/api/v1/units/{unit['id']}/places", json=body, headers=tech)

    r = await place({"name": "营业大厅", "category": "hrb-7-4", "tags": ["hospital"]})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "category-tags", r.text
    hall = (await place({"name": "营业大厅", "category": "hrb-7-4", "tags": ["bank"]})).json()
    organ = (await place({"name": "机关办公区", "category": "hrb-7-6"})).json()

    r = await client.patch(f"/api/v1/units/{unit['id']}", json={"jurisdiction": "kunming-2012"}, headers=tech)
    assert r.status_code == 200, r.text
    places = {
        p["id"]: p for p in (await client.get(f"/api/v1/units/{unit['id']}/places", headers=tech)).json()
    }
    # A bank's hall is KMG art. 6(5) "银行及其他金融机构的营业...场所".
    assert places[hall["id"]]["category"] == "kmg-6-5" and places[hall["id"]]["reclassify_from"] is None
    # A government organ (HRB art. 7(6) "机关") is neither KMG 6(6) nor 6(3): the office decides.
    moved = places[organ["id"]]
    assert moved["category"] is None and moved["reclassify_from"] == "HRB-2008 art. 7(6) (hrb-7-6)"
    r = await client.get("/api/v1/findings", params={"unit_id": unit["id"], "status": "open"}, headers=tech)
    assert all(f["subject_id"] != organ["id"] for f in r.json()["items"])  # no finding for it

    # The tech office classifies it: the mark goes.
    r = await client.patch(f"/api/v1/places/{organ['id']}", json={"category": "kmg-6-3"}, headers=tech)
    assert r.status_code == 200, r.text
    assert (r.json()["category"], r.json()["reclassify_from"]) == ("kmg-6-3", None)
