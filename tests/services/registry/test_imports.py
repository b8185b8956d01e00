"""CSV import: good rows are imported whatever the bad ones; each refusal names row, field, rule."""

from __future__ import annotations

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import new_uscc, unique


async def _import(client: httpx.AsyncClient, tech: dict[str, str], kind: str, text: str) -> dict:  # type: ignore[type-arg]
    r = await client.post(
        f"/api/v1/imports/{kind}", content=text.encode(), headers={**tech, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_units_places_devices_with_bad_rows(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    district = unique("香坊区")
    a, b = new_uscc(), new_uscc()
    units = (
        "name,uscc,address,district,is_business,security_affiliation,affiliation_district,jurisdiction\n"
        f"甲银行,{a},地址1,{district},是,city,,harbin-2008\n"
        f"坏代码,91350100M000100Y44,地址2,{district},true,city,,harbin-2008\n"
        f"乙医院,{b},地址3,{district},false,none,,kunming-2012\n"
        f"重复,{a},地址4,{district},true,city,,harbin-2008\n"
        f"缺区,{new_uscc()},地址5,{district},true,district,,harbin-2008\n"
    )
    report = await _import(client, tech, "units", units)
    assert (report["rows"], report["imported"], report["failed"]) == (5, 2, 3)
    assert [(e["row"], e["field"], e["rule"]) for e in report["errors"]] == [
        (2, "uscc", "uscc-checksum"),
        (5, "row", "value_error"),
        (4, "uscc", "unique"),
    ]
    places = (
        "unit_uscc,name,kind,category,location_type\n"
        f"{a},金库,site,hrb-7-4,vault\n"
        f"{a},大厅,site,kmg-6-5,lobby\n"
        f"{b},门诊入口,site,kmg-6-8,entrance\n"
        f"91350100M000100Y43,不存在,site,,\n"
    )
    report = await _import(client, tech, "places", places)
    assert (report["imported"], report["failed"]) == (2, 2)
    assert [(e["row"], e["field"], e["rule"]) for e in report["errors"]] == [
        (2, "category", "known-place-category"),
        (4, "unit_uscc", "known-unit"),
    ]
    devices = (
        "unit_uscc,kind,name,location_type,onvif_address,username,password,latitude\n"
        f"{a},camera,金库1,vault,http://10.0.0.1/onvif/device_service,admin,pw1,45.7\n"
        f"{a},camera,试衣间,fitting_room,,,,\n"
        f"{b},camera,哺乳室,nursing_room,,,,\n"
        f"{b},camera,入口,entrance,,,,95\n"
        f"{b},camera,入口2,entrance,ftp://x,,,\n"
        f"{b},nvr,主机,server_room,,,,\n"
    )
    report = await _import(client, tech, "devices", devices)
    assert (report["imported"], report["failed"]) == (2, 4)
    errs = {(e["row"], e["field"], e["rule"]) for e in report["errors"]}
    assert errs == {
        (2, "location_type", "legal-rule"),
        (3, "location_type", "legal-rule"),
        (4, "latitude", "less_than_equal"),
        (5, "onvif_address", "url_scheme"),
    }
    assert any("HRB-2008 art. 19" in e["message"] for e in report["errors"] if e["row"] == 2)
    r = await client.get("/api/v1/devices", params={"district": district}, headers=tech)
    assert sorted(d["name"] for d in r.json()["items"]) == ["主机", "金库1"]
    # Imported places are evaluated like any other: the vault lacks what art. 7(4) requires.
    r = await client.get("/api/v1/findings", params={"district": district, "status": "open"}, headers=tech)
    assert {f["rule"] for f in r.json()["items"]} == {"mandated_system_missing"}


async def test_wrong_header_is_refused_whole(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    r = await client.post(
        "/api/v1/imports/devices",
        content=b"unit,colour\n1,red\n",
        headers={**tech, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "csv-columns"
    assert "colour" in r.json()["detail"]
