"""Every route declares who may call it: no token 401, wrong role 403, and a unit admin
of unit A gets 404 for unit B's resources."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from jifang.auth import PUBLIC_PATHS, Role, RoleRequirement
from tests.conftest import TokenFactory, auth
from tests.documents import pdf
from tests.services.registry.factories import create_firm, create_unit


def _requirement(route: APIRoute) -> RoleRequirement | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RoleRequirement):
            return dep.call
        stack.extend(dep.dependencies)
    return None


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, ctx.path_format or route.path_format, route))
    assert len(out) > 30
    return out


def _fill(path: str, values: dict[str, str] | None = None) -> str:
    # A kind of management rule every pack asks for.
    values = {"kind": "training", **(values or {})}
    out = path
    for name in (
        "unit_id",
        "place_id",
        "system_id",
        "device_id",
        "finding_id",
        "filing_id",
        "material",
        "notice_id",
        "camera_id",
        "kind",
        "firm_id",
        "window_id",
    ):
        out = out.replace("{" + name + "}", values.get(name, str(uuid.uuid4())))
    return out


async def test_every_route_declares_roles(registry_app: FastAPI) -> None:
    undeclared = [
        f"{m} {p}" for m, p, r in _routes(registry_app) if _requirement(r) is None and p not in PUBLIC_PATHS
    ]
    assert undeclared == []


async def test_no_token_401_wrong_role_403(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    some_unit = str(uuid.uuid4())
    role_tokens = {r: token(r, unit_id=some_unit if r == Role.UNIT_ADMIN else None) for r in Role}
    checked = 0
    for method, path, route in _routes(registry_app):
        req = _requirement(route)
        url = _fill(path)
        if req is None:
            r = await client.request(method, url)
            assert r.status_code != 401, f"{method} {path} is public"
            continue
        r = await client.request(method, url, json={})
        assert r.status_code == 401, f"{method} {path} without a token answered {r.status_code}"
        assert r.headers["content-type"] == "application/problem+json"
        r = await client.request(method, url, json={}, headers={"Authorization": "Bearer not-a-jwt"})
        assert r.status_code == 401, f"{method} {path} with a bad token answered {r.status_code}"
        for role, tok in role_tokens.items():
            r = await client.request(method, url, json={}, headers=auth(tok))
            if role in req.roles:
                assert r.status_code not in (401, 403), f"{role} refused on {method} {path}: {r.text}"
            else:
                assert r.status_code == 403, f"{role} on {method} {path} answered {r.status_code}"
            checked += 1
    assert checked > 150


async def _unit_b(client: httpx.AsyncClient, tech: dict[str, str], token: TokenFactory) -> dict[str, str]:
    unit = await create_unit(client, tech)
    uid = unit["id"]

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await client.post(path, json=body, headers=tech)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()
        return data

    place = await post(f"/api/v1/units/{uid}/places", {"name": "金库", "category": "hrb-7-4"})
    system = await post(
        f"/api/v1/units/{uid}/systems",
        {"name": "视频", "system_type": "video", "place_ids": [place["id"]], "acceptance_date": "2026-01-05"},
    )
    device = await post(
        f"/api/v1/units/{uid}/devices", {"kind": "camera", "name": "c1", "location_type": "vault"}
    )
    filing = await post(f"/api/v1/units/{uid}/filings", {"system_ids": [system["id"]]})
    r = await client.get("/api/v1/findings", params={"unit_id": uid}, headers=tech)
    finding = r.json()["items"][0]
    r = await client.post(
        f"/api/v1/systems/{system['id']}/inspections",
        json={
            "inspected_on": "2026-02-01",
            "result": "failed",
            "inspectors": [
                {"name": "王警官", "badge_number": "230001", "signed_at": "2026-02-01T10:00:00+08:00"}
            ],
            "rectification": {"items": ["补装入侵报警"], "deadline": "2026-03-01"},
        },
        headers=tech,
    )
    assert r.status_code == 201, r.text
    notice_id = r.json()["notice"]["id"]
    firm = await create_firm(client, tech)
    project = await post(
        f"/api/v1/firms/{firm['id']}/projects",
        {"system_id": system["id"], "kind": "maintenance", "completion_date": "2026-01-10"},
    )
    window = await client.post(
        f"/api/v1/units/{uid}/maintenance-windows",
        json=_window_body(device["id"]),
        headers=auth(token(Role.UNIT_ADMIN, unit_id=uid)),
    )
    assert window.status_code == 201, window.text
    return {
        "unit_id": uid,
        "place_id": place["id"],
        "system_id": system["id"],
        "device_id": device["id"],
        "filing_id": filing["id"],
        "finding_id": finding["id"],
        "notice_id": notice_id,
        "firm_id": firm["id"],
        "project_id": project["id"],
        "window_id": window.json()["id"],
    }


def _window_body(device_id: str) -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return {
        "device_ids": [device_id],
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "reason": "更换电源",
    }


# A body each route accepts, so that what answers is the access rule, not validation.
VALID_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/units/{unit_id}/places"): {"name": "大厅"},
    ("POST", "/api/v1/units/{unit_id}/systems"): {"name": "视频", "system_type": "video"},
    ("POST", "/api/v1/units/{unit_id}/devices"): {"kind": "camera", "name": "c", "location_type": "lobby"},
    ("POST", "/api/v1/units/{unit_id}/filings"): {"system_ids": [str(uuid.uuid4())]},
    ("POST", "/api/v1/units/{unit_id}/maintenance-windows"): _window_body(str(uuid.uuid4())),
    ("POST", "/api/v1/systems/{system_id}/inspections"): {
        "inspected_on": "2026-02-01",
        "result": "passed",
        "inspectors": [{"name": "王", "badge_number": "1", "signed_at": "2026-02-01T10:00:00+08:00"}],
    },
}


# A firm is no unit's record (every reader reads it); its projects on units' systems are.
SHARED_ROUTES = {("GET", "/api/v1/firms/{firm_id}"), ("GET", "/api/v1/firms/{firm_id}/projects")}


def _valid_request(method: str, path: str, b: dict[str, str]) -> dict[str, Any]:
    if method == "PUT" and path.endswith(("/materials/{material}", "/management-rules/{kind}")):
        return {"content": pdf(), "headers": {"Content-Type": "application/pdf"}}
    if method in ("GET", "DELETE"):
        return {}
    if (method, path) == ("POST", "/api/v1/firms/{firm_id}/projects"):
        # Unit B's system: the firm is anyone's to work for, the system is B's.
        return {"json": {"system_id": b["system_id"], "kind": "maintenance", "completion_date": "2026-01-11"}}
    return {"json": VALID_BODIES.get((method, path), {})}


async def test_unit_admin_of_a_gets_404_for_unit_b(
    registry_app: FastAPI, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    b = await _unit_b(client, tech, token)
    unit_a = await create_unit(client, tech)
    admin_a = auth(token(Role.UNIT_ADMIN, unit_id=unit_a["id"]))
    checked = []
    for method, path, route in _routes(registry_app):
        req = _requirement(route)
        if (
            req is None
            or Role.UNIT_ADMIN not in req.roles
            or "{" not in path
            or (method, path) in SHARED_ROUTES
        ):
            continue
        kwargs = _valid_request(method, path, b)
        r = await client.request(
            method, _fill(path, b), headers={**admin_a, **kwargs.pop("headers", {})}, **kwargs
        )
        assert r.status_code == 404, f"{method} {path} of unit B answered {r.status_code}: {r.text}"
        checked.append(f"{method} {path}")
    assert len(checked) >= 20
    # Lists do not leak either.
    for path in ("/api/v1/devices", "/api/v1/findings", "/api/v1/units"):
        r = await client.get(
            path, params={"unit_id": b["unit_id"]} if "units" not in path else {}, headers=admin_a
        )
        assert r.status_code == 200
        assert all(item.get("unit_id", item.get("id")) == unit_a["id"] for item in r.json()["items"])
    # Unit B's firm is readable by A; its projects on B's systems are not listed to A.
    r = await client.get(f"/api/v1/firms/{b['firm_id']}", headers=admin_a)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/firms/{b['firm_id']}/projects", headers=admin_a)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await client.get(f"/api/v1/firms/{b['firm_id']}/projects", headers=tech)
    assert [p["id"] for p in r.json()["items"]] == [b["project_id"]]
    # The same calls as the tech office do find unit B's resources.
    r = await client.get(f"/api/v1/places/{b['place_id']}", headers=tech)
    assert r.status_code == 200


@pytest.mark.parametrize("role", [Role.POLICE_OPERATOR, Role.AUDITOR, Role.NVR])
async def test_filing_materials_are_confidential(
    client: httpx.AsyncClient, token: TokenFactory, role: Role
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    b = await _unit_b(client, tech, token)
    r = await client.get(f"/api/v1/filings/{b['filing_id']}", headers=auth(token(role)))
    assert r.status_code == 403
