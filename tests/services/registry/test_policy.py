"""The packs are published: a unit learns its categories, systems, forbidden places, retention
and penalties with their articles from the API, not from a 422."""

from __future__ import annotations

import httpx

from jifang.auth import Role
from jifang.policy import PolicyPack, load_policy_book
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit


async def test_every_pack_is_listed_and_published_whole(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    headers = auth(token(Role.UNIT_ADMIN, unit_id="00000000-0000-0000-0000-000000000001"))
    r = await client.get("/api/v1/policy", headers=headers)
    assert r.status_code == 200, r.text
    listed = {p["id"]: p for p in r.json()}
    assert set(listed) == {"harbin-2008", "kunming-2012"}
    assert listed["harbin-2008"]["regulation"]["title"] == "哈尔滨市公共安全技术防范管理办法"
    book = load_policy_book()
    for pack_id in listed:
        r = await client.get(f"/api/v1/policy/{pack_id}", headers=headers)
        assert r.status_code == 200, r.text
        # What is published is the pack the platform applies, nothing lost or renamed.
        assert PolicyPack.model_validate(r.json()) == book[pack_id]


async def test_harbin_banking_hall_and_private_places(client: httpx.AsyncClient, token: TokenFactory) -> None:
    r = await client.get("/api/v1/policy/harbin-2008", headers=auth(token(Role.POLICE_OPERATOR)))
    pack = r.json()
    # HRB art. 7: "下列单位、场所或部位应当建立视频安防监控系统，其中（一）至（九）项所列单位、场所或部位
    # 还应当分别建立入侵报警系统、出入口控制系统等技防系统：……（四）生产、储存、交易黄金、珠宝、货币、
    # 有价证券的场所、部位"
    bank = next(c for c in pack["place_categories"] if c["code"] == "hrb-7-4")
    assert bank["article"] == "art. 7(4)" and bank["name"].startswith("生产、储存、交易黄金")
    assert bank["required"]["all_of"] == ["video", "intrusion_alarm", "access_control"]
    # HRB art. 19 para. 2: "宾馆客房、商场试衣间、更衣室、浴室、卫生间等涉及公民隐私的场所或部位以及
    # 机关内部办公室，不得建立视频安防监控系统。"
    forbidden = pack["forbidden_camera_places"]
    assert forbidden["article"] == "art. 19 para. 2"
    assert {"hotel_guest_room", "fitting_room", "government_internal_office"} <= set(
        forbidden["location_types"]
    )
    assert (pack["retention"]["days"], pack["retention"]["article"]) == (15, "art. 20(7)")
    assert pack["citation_prefix"] == "HRB-2008"
    assert pack["filing"]["deadline"] == {"days": 30, "from": "acceptance", "article": "art. 14 para. 1"}
    assert all(d["platform_default"] is True for d in pack["platform_defaults"].values())


async def test_an_unknown_pack_and_no_token(client: httpx.AsyncClient, token: TokenFactory) -> None:
    r = await client.get("/api/v1/policy/atlantis-2030", headers=auth(token(Role.AUDITOR)))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert "harbin-2008" in r.json()["detail"]
    assert (await client.get("/api/v1/policy")).status_code == 401


async def test_a_wrong_category_points_to_the_pack(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/places", headers=tech, json={"name": "大厅", "category": "bank"}
    )
    assert r.status_code == 422
    assert "GET /api/v1/policy/harbin-2008" in r.json()["errors"][0]["message"]
