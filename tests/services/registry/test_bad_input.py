"""Bad input gets a clear problem+json naming the field and the rule; secrets never leak."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from sqlalchemy import text

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_unit, new_uscc

UNIT = {
    "name": "某医院",
    "address": "道里区1号",
    "district": "道里区",
    "is_business": False,
    "security_affiliation": "city",
    "jurisdiction": "harbin-2008",
}


async def _post_unit(client: httpx.AsyncClient, token: TokenFactory, **over: object) -> httpx.Response:
    body = {**UNIT, "uscc": new_uscc(), **over}
    return await client.post("/api/v1/units", json=body, headers=auth(token(Role.TECH_OFFICE)))


@pytest.mark.parametrize(
    ("over", "field", "rule"),
    [
        ({"uscc": "91350100M000100Y44"}, "body.uscc", "uscc-checksum"),
        ({"uscc": "123"}, "body.uscc", "uscc-length"),
        ({"name": ""}, "body.name", "string_too_short"),
        ({"jurisdiction": "shanghai-2099"}, "jurisdiction", "known-policy-pack"),
        ({"security_affiliation": "province"}, "body.security_affiliation", "enum"),
        ({"colour": "red"}, "body.colour", "extra_forbidden"),
        ({"security_affiliation": "district"}, "body", "value_error"),
    ],
)
async def test_unit_field_errors_name_field_and_rule(
    client: httpx.AsyncClient, token: TokenFactory, over: dict[str, object], field: str, rule: str
) -> None:
    r = await _post_unit(client, token, **over)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["type"] == "/problems/validation-failed"
    assert {"field": field, "rule": rule} == {k: problem["errors"][0][k] for k in ("field", "rule")}


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/devices"])
async def test_an_unknown_sort_is_422_naming_sort(
    client: httpx.AsyncClient, token: TokenFactory, path: str
) -> None:
    r = await client.get(path, params={"sort": "-password_ciphertext"}, headers=auth(token(Role.TECH_OFFICE)))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("query.sort", "enum")]
    assert "-name" in r.json()["errors"][0]["message"]  # the allowed sorts are named


async def test_duplicate_code_is_a_conflict_and_malformed_json_is_422(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    code = new_uscc()
    assert (await _post_unit(client, token, uscc=code)).status_code == 201
    r = await _post_unit(client, token, uscc=code)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/api/v1/units",
        content=b"{not json",
        headers={**auth(token(Role.TECH_OFFICE)), "Content-Type": "application/json"},
    )
    assert r.status_code == 422


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient, token: TokenFactory) -> None:
    r = await _post_unit(client, token, address="x" * 2_000_000)
    assert r.status_code == 413 and r.json()["type"] == "/problems/payload-too-large"


async def test_material_type_and_size_are_checked(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    s = (
        await client.post(
            f"/api/v1/units/{unit['id']}/systems", json={"name": "v", "system_type": "video"}, headers=tech
        )
    ).json()
    f = (
        await client.post(f"/api/v1/units/{unit['id']}/filings", json={"system_ids": [s["id"]]}, headers=tech)
    ).json()
    url = f"/api/v1/filings/{f['id']}/materials/filing_form"
    r = await client.put(url, content=b"MZ\x90\x00", headers={**tech, "Content-Type": "application/pdf"})
    assert r.status_code == 415  # claims PDF, is not
    r = await client.put(
        url, content=b"%PDF-1.4", headers={**tech, "Content-Type": "application/x-msdownload"}
    )
    assert r.status_code == 415
    r = await client.put(
        url, content=b"%PDF-" + b"0" * 300_000, headers={**tech, "Content-Type": "application/pdf"}
    )
    assert r.status_code == 413 and r.json()["type"] == "/problems/payload-too-large"
    r = await client.put(
        f"/api/v1/filings/{f['id']}/materials/passport",
        content=b"%PDF-1.4",
        headers={**tech, "Content-Type": "application/pdf"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "known-material"
    assert (await client.get(f"/api/v1/filings/{f['id']}", headers=tech)).json()["materials"] == []


async def test_device_password_is_encrypted_never_returned_never_logged(
    registry_app,
    client: httpx.AsyncClient,
    token: TokenFactory,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    secret = "S3cret-Passw0rd-unique"
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    with caplog.at_level(logging.DEBUG):
        r = await client.post(
            f"/api/v1/units/{unit['id']}/devices",
            json={
                "kind": "camera",
                "name": "大门",
                "location_type": "entrance",
                "onvif_address": "http://10.1.1.5/onvif/device_service",
                "username": "admin",
                "password": secret,
            },
            headers=tech,
        )
        assert r.status_code == 201
        device = r.json()
        listed = await client.get("/api/v1/devices", params={"unit_id": unit["id"]}, headers=tech)
    assert device["has_credentials"] is True
    assert secret not in r.text and secret not in listed.text and "password" not in device
    assert secret not in caplog.text
    async with registry_app.state.engine.connect() as conn:
        raw = (
            await conn.execute(
                text("SELECT password_ciphertext FROM registry.devices WHERE id = :i"), {"i": device["id"]}
            )
        ).scalar_one()
        dump = (await conn.execute(text("SELECT payload FROM registry.outbox"))).scalars().all()
    assert secret.encode() not in raw
    assert all(secret.encode() not in p for p in dump)  # nor in Kafka events
    # Ingest (role service) gets them from the internal API; nobody else does.
    r = await client.get(
        f"/api/v1/internal/devices/{device['id']}/credentials", headers=auth(token(Role.SERVICE))
    )
    assert r.json()["password"] == secret and r.json()["username"] == "admin"
    r = await client.get(f"/api/v1/internal/devices/{device['id']}/credentials", headers=tech)
    assert r.status_code == 403
    # Many at once (ingest starting up): unknown ids are listed, not an error.
    unknown = "00000000-0000-4000-8000-000000000000"
    batch = {"device_ids": [device["id"], unknown]}
    r = await client.post(
        "/api/v1/internal/devices/credentials", json=batch, headers=auth(token(Role.SERVICE))
    )
    assert r.status_code == 200
    assert [c["password"] for c in r.json()["items"]] == [secret] and r.json()["missing"] == [unknown]
    r = await client.post("/api/v1/internal/devices/credentials", json=batch, headers=tech)
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/internal/devices/credentials", json={"device_ids": []}, headers=auth(token(Role.SERVICE))
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_health_metrics_and_request_ids(client: httpx.AsyncClient, token: TokenFactory) -> None:
    assert (await client.get("/healthz")).json() == {"status": "alive"}
    r = await client.get("/api/v1/units", headers={**auth(token(Role.AUDITOR)), "X-Request-ID": "trace-42"})
    assert r.headers["x-request-id"] == "trace-42"
    metrics = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/v1/units",status="200"}' in metrics
    assert "http_request_duration_seconds_bucket" in metrics
    assert "registry_devices" in metrics and "registry_findings_active" in metrics
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Jifang registry"


@pytest.mark.parametrize(
    ("path_kind", "body", "field"),
    [
        ("system", {"place_ids": None}, "place_ids"),
        ("system", {"networking": None}, "networking"),
        ("unit", {"name": None}, "name"),
        ("device", {"location_type": None}, "location_type"),
    ],
)
async def test_explicit_null_is_refused_where_a_field_cannot_be_cleared(
    client: httpx.AsyncClient, token: TokenFactory, path_kind: str, body: dict[str, object], field: str
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    ids = {"unit": unit["id"]}
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems", json={"name": "s", "system_type": "video"}, headers=tech
    )
    ids["system"] = r.json()["id"]
    r = await client.post(
        f"/api/v1/units/{unit['id']}/devices",
        json={"kind": "camera", "name": "c", "location_type": "lobby", "username": "u", "password": "p"},
        headers=tech,
    )
    ids["device"] = r.json()["id"]
    r = await client.patch(f"/api/v1/{path_kind}s/{ids[path_kind]}", json=body, headers=tech)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["rule"] == "not-null" and field in r.json()["errors"][0]["message"]
    # Where clearing makes sense, null clears: a device's credentials.
    r = await client.patch(f"/api/v1/devices/{ids['device']}", json={"password": None}, headers=tech)
    assert r.status_code == 200 and r.json()["has_credentials"] is False


@pytest.mark.parametrize(
    ("path_kind", "body", "field", "rule"),
    [
        ("units", {**UNIT, "is_business": 0}, "body.is_business", "bool_type"),
        ("units", {**UNIT, "is_business": "yes"}, "body.is_business", "bool_type"),
        ("systems", {"name": "s", "system_type": "video", "in_use": 1}, "body.in_use", "bool_type"),
        (
            "systems",
            {"name": "s", "system_type": "video", "acceptance_date": 0},
            "body.acceptance_date",
            "string_type",
        ),
        (
            "devices",
            {"kind": "camera", "name": "c", "location_type": "lobby", "channel_no": "3"},
            "body.channel_no",
            "int_type",
        ),
        (
            "devices",
            {"kind": "camera", "name": "c", "location_type": "lobby", "latitude": "45.7"},
            "body.latitude",
            "float_type",
        ),
    ],
)
async def test_a_value_of_another_json_kind_than_the_document_says_is_refused(
    client: httpx.AsyncClient,
    token: TokenFactory,
    path_kind: str,
    body: dict[str, object],
    field: str,
    rule: str,
) -> None:
    """The document says boolean, integer, number or string: `0` is not false, `"3"` is not 3,
    and `0` is not a date (pydantic alone would read them so)."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    path = "/api/v1/units" if path_kind == "units" else f"/api/v1/units/{unit['id']}/{path_kind}"
    r = await client.post(
        path, json={"uscc": new_uscc(), **body} if path_kind == "units" else body, headers=tech
    )
    assert r.status_code == 422, r.text
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [(field, rule)]


async def test_registering_one_code_at_once_is_one_unit_and_conflicts(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """Concurrent registrations of one unified social credit code: one unit, the others 409
    (whether the check or the database's unique constraint sees the conflict), never a 500."""
    uscc = new_uscc()
    answers = await asyncio.gather(*(_post_unit(client, token, uscc=uscc) for _ in range(8)))
    assert sorted(r.status_code for r in answers) == [201] + [409] * 7
    assert all(
        r.headers["content-type"] == "application/problem+json" for r in answers if r.status_code == 409
    )
