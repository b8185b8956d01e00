"""Reading the use register: filters by unit, camera, officer, case and period; the export for
the annual inspection (CSV and JSON); a unit administrator seeing that its cameras were called
up, when and by which bureau, but not the officer, purpose, case number or destination."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import callup


async def test_filters_export_and_who_sees_what(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory
) -> None:
    operator = auth(token(Role.POLICE_OPERATOR, subject="officer-7", bureau="哈尔滨市公安局南岗分局"))
    for case in ("A-CASE-1", "A-CASE-2", "A-CASE-2"):
        r = await gateway.post(
            "/api/v1/callups", json=callup(camera["id"], case_number=case), headers=operator
        )
        assert r.status_code == 201
    auditor = auth(token(Role.AUDITOR))
    by_camera = (
        await gateway.get("/api/v1/register", params={"camera_id": camera["id"]}, headers=auditor)
    ).json()
    assert by_camera["total"] == 3
    first = by_camera["items"][0]
    assert (
        first["view"] == "full" and first["officer"] == "officer-7" and first["purpose"] == "追查盗窃嫌疑人"
    )
    by_case = await gateway.get(
        "/api/v1/register", params={"camera_id": camera["id"], "case_number": "A-CASE-2"}, headers=auditor
    )
    assert by_case.json()["total"] == 2
    by_officer = await gateway.get("/api/v1/register", params={"officer": "officer-7"}, headers=auditor)
    assert by_officer.json()["total"] >= 3
    since = first["recorded_at"]
    later = await gateway.get(
        "/api/v1/register", params={"camera_id": camera["id"], "since": since}, headers=auditor
    )
    assert later.json()["total"] == 1

    # The unit administrator: its cameras' uses, when and by which bureau, nothing of the case.
    own = auth(token(Role.UNIT_ADMIN, unit_id=camera["unit_id"]))
    seen = (await gateway.get("/api/v1/register", headers=own)).json()
    assert seen["total"] == 3 and all(i["view"] == "unit" for i in seen["items"])
    item = seen["items"][0]
    assert item["bureau"] == "哈尔滨市公安局南岗分局" and item["camera_id"] == camera["id"]
    assert item["case_number"] is None and item["purpose"] is None and item["officer"] is None
    assert item["destination"] is None
    other = auth(token(Role.UNIT_ADMIN, unit_id="00000000-0000-4000-8000-000000000001"))
    assert (
        await gateway.get("/api/v1/register", params={"unit_id": camera["unit_id"]}, headers=other)
    ).status_code == 403
    assert (await gateway.get("/api/v1/register/export", headers=own)).status_code == 403
    assert (await gateway.get("/api/v1/register", headers=operator)).status_code == 403

    # The export, in register order.
    exported = await gateway.get(
        "/api/v1/register/export", params={"camera_id": camera["id"], "format": "csv"}, headers=auditor
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["case_number"] for r in rows] == ["A-CASE-1", "A-CASE-2", "A-CASE-2"]
    assert rows[0]["hash"] and rows[0]["destination"] == "南岗分局刑侦大队 3号工作站"
    as_json = await gateway.get(
        "/api/v1/register/export", params={"camera_id": camera["id"], "format": "json"}, headers=auditor
    )
    records = json.loads(as_json.text)
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records) and len(records) == 3


async def test_periods_are_dates_and_times_with_their_offset(
    gateway: httpx.AsyncClient, token: TokenFactory
) -> None:
    """As the document says (RFC 3339): a number of seconds is not a date-time, and a time
    without its UTC offset is ambiguous (Beijing time or UTC: eight hours of register); nor is
    an instant before the year 1 in UTC one the database takes."""
    auditor = auth(token(Role.AUDITOR))
    for since in ("0.5", "1700000000", "2026-11-23", "2026-11-23T09:00:00", "0001-01-01T00:00:00+01:00"):
        r = await gateway.get("/api/v1/register", params={"since": since}, headers=auditor)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.since", since
    for since in ("2026-11-23T09:00:00+08:00", "2026-11-23T01:00:00Z"):
        assert (
            await gateway.get("/api/v1/register", params={"since": since}, headers=auditor)
        ).status_code == 200
