"""Issue 14, item 6: a `unit_admin` reads the uses of its own unit's cameras without the
officer, purpose, case number or destination; filtering the register on the officer or the
case number confirmed a hidden value by what matched (a total of 1 for the right case number,
0 for a wrong one). Filters on fields the role cannot see are refused, whatever the value."""

from __future__ import annotations

from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import callup, camera, gateway, migrated  # noqa: F401 - fixtures


async def test_a_unit_administrator_cannot_filter_on_what_it_cannot_see(
    gateway: httpx.AsyncClient,  # noqa: F811
    camera: dict[str, Any],  # noqa: F811
    token: TokenFactory,
) -> None:
    operator = auth(token(Role.POLICE_OPERATOR, subject="officer-hidden-7"))
    r = await gateway.post(
        "/api/v1/callups", json=callup(camera["id"], case_number="A2301-HIDDEN-1"), headers=operator
    )
    assert r.status_code == 201, r.text
    admin = auth(token(Role.UNIT_ADMIN, unit_id=camera["unit_id"]))

    async def read(headers: dict[str, str], **params: str) -> httpx.Response:
        return await gateway.get("/api/v1/register", params=params, headers=headers)

    # The right value and a wrong one answer alike: nothing is confirmed.
    for params in (
        {"case_number": "A2301-HIDDEN-1"},
        {"case_number": "A2301-WRONG-9"},
        {"officer": "officer-hidden-7"},
        {"officer": "someone-else"},
        {"case_number": "", "camera_id": camera["id"]},
    ):
        r = await read(admin, **params)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", r.text
        hidden = {k for k in params if k != "camera_id"}
        assert {(e["field"], e["rule"]) for e in r.json()["errors"]} == {
            (name, "hidden-from-unit-view") for name in hidden
        }
        assert "total" not in r.json()
    both = await read(admin, officer="officer-hidden-7", case_number="A2301-HIDDEN-1")
    assert {e["field"] for e in both.json()["errors"]} == {"officer", "case_number"}

    # What its view shows it may filter on.
    r = await read(admin, camera_id=camera["id"], bureau="哈尔滨市公安局")
    assert r.status_code == 200 and r.json()["total"] == 1
    assert r.json()["items"][0]["view"] == "unit" and r.json()["items"][0]["case_number"] is None

    # The auditor, who sees everything, filters on everything.
    auditor = auth(token(Role.AUDITOR))
    r = await read(auditor, case_number="A2301-HIDDEN-1", officer="officer-hidden-7")
    assert r.status_code == 200 and r.json()["total"] == 1
