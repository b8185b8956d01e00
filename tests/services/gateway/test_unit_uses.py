"""A unit's own register of the uses of its footage, kept on the platform in the same
tamper-evident form as the police's use register, one chain per unit.

HRB art. 20: "技防系统的使用单位，应当遵守下列规定：……（三）建立值班监看、资料管理、图像信息使用登记等制度".
KMG art. 21: "技防系统的使用单位，应当遵守以下规定：……（二）建立语音图像信息使用登记制度，对语音图像信息的
录制时间、录制人员、用途和去向等事项进行登记，并妥善保管".

A destination is recorded as stated, never judged (HRB art. 20(4): "不得向公安机关以外的单位和个人提供、
传播图像信息资料"; KMG art. 21(3): "除法律、法规规定外，不得擅自复制、查询或者向其他单位和个人提供、
传播语音图像信息").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jifang.auth import Role
from jifang.db import create_engine
from jifang.logging import JsonFormatter
from services.gateway.app import create_app
from tests.conftest import TokenFactory, auth
from tests.services.gateway.conftest import gateway_settings
from tests.services.registry.factories import create_device, create_unit

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Unit:
    id: str
    cameras: list[str]
    admin: dict[str, str]  # its administrator's headers
    admin_subject: str


async def _unit(client: httpx.AsyncClient, token: TokenFactory, jurisdiction: str) -> Unit:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech, jurisdiction=jurisdiction)
    cameras = [(await create_device(client, tech, unit["id"]))["id"] for _ in range(2)]
    subject = f"unit-admin-{uuid.uuid4().hex[:6]}"
    return Unit(
        unit["id"], cameras, auth(token(Role.UNIT_ADMIN, unit_id=unit["id"], subject=subject)), subject
    )


@pytest.fixture
async def harbin_unit(client: httpx.AsyncClient, token: TokenFactory) -> Unit:
    return await _unit(client, token, "harbin-2008")


@pytest.fixture
async def kunming_unit(client: httpx.AsyncClient, token: TokenFactory) -> Unit:
    return await _unit(client, token, "kunming-2012")


def use(cameras: list[str], **over: Any) -> dict[str, Any]:
    return {
        "footage_from": (NOW - dt.timedelta(days=2, hours=1)).isoformat(),
        "footage_to": (NOW - dt.timedelta(days=2)).isoformat(),
        "camera_ids": cameras,
        "personnel": ["王建国", "李敏"],
        "purpose": "核查营业厅顾客财物遗失经过",
        "destination": "拷贝一份交南岗分局大成派出所民警",
        **over,
    }


def uses_of(unit: Unit) -> str:
    return f"/api/v1/units/{unit.id}/footage-uses"


async def test_a_unit_registers_its_uses_and_reads_them_back(
    gateway: httpx.AsyncClient, harbin_unit: Unit, kunming_unit: Unit
) -> None:
    """录制时间、录制人员、用途和去向, with who registered it and when (the token and the clock, not
    the body); each unit's register a chain of its own that verifies on its own."""
    unit = harbin_unit
    before = dt.datetime.now(dt.UTC)
    first = await gateway.post(uses_of(unit), json=use(unit.cameras), headers=unit.admin)
    assert first.status_code == 201, first.text
    record = first.json()
    assert record["unit_id"] == unit.id and record["registered_by"] == unit.admin_subject
    assert record["camera_ids"] == unit.cameras and record["personnel"] == ["王建国", "李敏"]
    assert record["purpose"] == "核查营业厅顾客财物遗失经过"
    assert record["destination"] == "拷贝一份交南岗分局大成派出所民警"  # as stated, no verdict drawn
    assert dt.datetime.fromisoformat(record["footage_to"]) == NOW - dt.timedelta(days=2)
    assert before <= dt.datetime.fromisoformat(record["recorded_at"]) <= dt.datetime.now(dt.UTC)
    # Who and when are not the body's to say.
    forged = await gateway.post(
        uses_of(unit), json=use(unit.cameras, registered_by="someone-else"), headers=unit.admin
    )
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "body.registered_by"

    second = await gateway.post(
        uses_of(unit), json=use(unit.cameras[:1], destination="存档，未外传"), headers=unit.admin
    )
    assert second.status_code == 201
    page = (await gateway.get(uses_of(unit), headers=unit.admin)).json()
    assert page["total"] == 2 and [i["seq"] for i in page["items"]] == [second.json()["seq"], record["seq"]]
    assert page["items"][1] == record
    later = await gateway.get(
        uses_of(unit), params={"since": second.json()["recorded_at"]}, headers=unit.admin
    )
    assert [i["destination"] for i in later.json()["items"]] == ["存档，未外传"]
    earlier = await gateway.get(
        uses_of(unit), params={"until": second.json()["recorded_at"]}, headers=unit.admin
    )
    assert [i["seq"] for i in earlier.json()["items"]] == [record["seq"]]
    paged = await gateway.get(uses_of(unit), params={"limit": 1, "offset": 1}, headers=unit.admin)
    assert [i["seq"] for i in paged.json()["items"]] == [record["seq"]] and paged.json()["total"] == 2

    # The Kunming unit's register: a chain of its own, interleaved in time with the other's.
    other = kunming_unit
    assert (
        await gateway.post(uses_of(other), json=use(other.cameras), headers=other.admin)
    ).status_code == 201
    report = (await gateway.get(f"{uses_of(unit)}/verify", headers=unit.admin)).json()
    assert report == {
        "records": 2,
        "intact": True,
        "head_seq": second.json()["seq"],
        "head_hash": second.json()["hash"],
        "first_break_seq": None,
        "problem": None,
    }
    assert (await gateway.get(f"{uses_of(other)}/verify", headers=other.admin)).json()["records"] == 1


async def test_concurrent_registrations_make_one_chain_per_unit(
    gateway: httpx.AsyncClient, harbin_unit: Unit, kunming_unit: Unit
) -> None:
    """Two units registering at once, several uses each: each unit's chain stays linear (the
    database takes the unit's chain lock for each append) and verifies on its own."""
    units = (harbin_unit, kunming_unit)
    answers = await asyncio.gather(
        *(
            gateway.post(uses_of(unit), json=use(unit.cameras, purpose=f"第{i}次调阅"), headers=unit.admin)
            for i in range(6)
            for unit in units
        )
    )
    assert [r.status_code for r in answers] == [201] * 12
    for unit in units:
        report = (await gateway.get(f"{uses_of(unit)}/verify", headers=unit.admin)).json()
        assert report["intact"] and report["records"] == 6, report


async def test_each_unit_its_own_register_and_the_office_any(
    gateway: httpx.AsyncClient, harbin_unit: Unit, kunming_unit: Unit, token: TokenFactory
) -> None:
    """A unit administrator writes and reads its own unit's register only (another unit's is
    404, as the registry answers); the tech office, which checks the register at inspections,
    and the auditor read any unit's; the police's operators and the office do not write it."""
    a, b = harbin_unit, kunming_unit
    assert (await gateway.post(uses_of(b), json=use(b.cameras), headers=b.admin)).status_code == 201
    for request in (
        gateway.post(uses_of(b), json=use(b.cameras), headers=a.admin),
        gateway.get(uses_of(b), headers=a.admin),
        gateway.get(f"{uses_of(b)}/verify", headers=a.admin),
    ):
        assert (await request).status_code == 404
    # Nor may A register B's cameras (or one that does not exist) in its own register.
    stranger = str(uuid.uuid4())
    borrowed = await gateway.post(
        uses_of(a), json=use([a.cameras[0], b.cameras[0], stranger]), headers=a.admin
    )
    assert borrowed.status_code == 422
    assert [(e["field"], e["rule"]) for e in borrowed.json()["errors"]] == [
        ("camera_ids.1", "camera-of-unit"),
        ("camera_ids.2", "camera-of-unit"),
    ]
    assert (await gateway.get(uses_of(a), headers=a.admin)).json()["total"] == 0

    office, auditor = auth(token(Role.TECH_OFFICE)), auth(token(Role.AUDITOR))
    seen = (await gateway.get(uses_of(b), headers=office)).json()
    assert seen["total"] == 1 and seen["items"][0]["personnel"] == ["王建国", "李敏"]
    assert (await gateway.get(f"{uses_of(b)}/verify", headers=auditor)).json()["intact"]
    empty = await gateway.get(uses_of(a), headers=auditor)  # a unit the registry has, nothing registered
    assert empty.status_code == 200 and empty.json()["total"] == 0
    nowhere = f"/api/v1/units/{uuid.uuid4()}/footage-uses"
    assert (await gateway.get(nowhere, headers=office)).status_code == 404
    assert (await gateway.get(f"{nowhere}/verify", headers=office)).status_code == 404

    operator = auth(token(Role.POLICE_OPERATOR))
    assert (await gateway.get(uses_of(b), headers=operator)).status_code == 403
    assert (await gateway.post(uses_of(b), json=use(b.cameras), headers=office)).status_code == 403
    assert (await gateway.get(uses_of(b))).status_code == 401


async def test_the_period_and_hostile_input_are_refused_naming_the_field(
    gateway: httpx.AsyncClient, harbin_unit: Unit
) -> None:
    """录制时间 is a period of footage that exists: its start before its end, not in the future,
    with UTC offsets; text a person wrote holds no NUL character, no lone surrogate, not only
    blanks, and stays within its length. Nothing refused is registered."""
    unit = harbin_unit
    hour_ago = (NOW - dt.timedelta(hours=1)).isoformat()
    refused = {
        "body.footage_from": use(unit.cameras, footage_from="2026-11-22T21:00:00"),
        "footage_to": use(unit.cameras, footage_from=hour_ago, footage_to=hour_ago),
        "body.personnel.1": use(unit.cameras, personnel=["王建国", "李\x00敏"]),
        "body.purpose": use(unit.cameras, purpose="核查" + "查" * 499),
        "body.destination": use(unit.cameras, destination=" \t "),
        "body.camera_ids": use(unit.cameras[:1] * 2),
        "body.personnel": use(unit.cameras, personnel=[f"员工{i}" for i in range(21)]),
    }
    for field, body in refused.items():
        r = await gateway.post(uses_of(unit), json=body, headers=unit.admin)
        assert r.status_code == 422, (field, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.text)
    future = use(unit.cameras, footage_to=(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat())
    r = await gateway.post(uses_of(unit), json=future, headers=unit.admin)
    assert r.status_code == 422 and r.json()["errors"][0] == {
        "field": "footage_to",
        "rule": "not_future",
        "message": "Footage cannot be from the future",
    }
    nul = await gateway.post(uses_of(unit), json=use(unit.cameras, purpose="核查\x00"), headers=unit.admin)
    assert nul.json()["errors"][0]["rule"] == "no-nul-characters"
    overlong = await gateway.post(
        uses_of(unit), json=use(unit.cameras, personnel=["王" * 101]), headers=unit.admin
    )
    assert (overlong.status_code, overlong.json()["errors"][0]["field"]) == (422, "body.personnel.0")
    # A lone surrogate (JSON can carry one as an escape; no text column can store it).
    raw = json.dumps(use(unit.cameras)).replace('"\\u738b', '"\\ud800', 1)  # 王 -> a lone surrogate
    lone = await gateway.post(
        uses_of(unit), content=raw, headers={**unit.admin, "Content-Type": "application/json"}
    )
    assert (lone.status_code, lone.json()["errors"][0]["field"]) == (422, "body.personnel.0"), lone.text
    assert "王" not in lone.text and "李敏" not in lone.text  # the answer does not echo what was sent
    assert (await gateway.get(uses_of(unit), headers=unit.admin)).json()["total"] == 0


async def test_the_database_refuses_change_and_verify_names_the_first_break(
    gateway: httpx.AsyncClient, harbin_unit: Unit, kunming_unit: Unit, token: TokenFactory, migrated: str
) -> None:
    """(HRB art. 20(4): "不得擅自删除、修改技防系统运行程序和记录"; KMG art. 22(1): "擅自删除、修改技防产品、
    系统的运行程序和记录".) The service's role may only append; the database refuses anyone an
    UPDATE or DELETE; a record altered or removed by someone with the owner's powers shows as
    the first break of its unit's chain, and of no other unit's."""
    unit, other = harbin_unit, kunming_unit
    seqs = []
    for purpose in ("第一次调阅", "第二次调阅", "第三次调阅"):
        r = await gateway.post(uses_of(unit), json=use(unit.cameras, purpose=purpose), headers=unit.admin)
        seqs.append(r.json()["seq"])
    assert (
        await gateway.post(uses_of(other), json=use(other.cameras), headers=other.admin)
    ).status_code == 201
    office = auth(token(Role.TECH_OFFICE))
    engine = create_engine(migrated, 1, "gateway-test")
    one = {"s": seqs[1]}
    try:
        async with engine.begin() as conn:
            with pytest.raises(Exception, match="permission denied"):
                async with conn.begin_nested():
                    await conn.execute(text("SET LOCAL ROLE jifang_gateway"))
                    await conn.execute(text("UPDATE gateway.unit_use_register SET purpose = 'x'"))
            for change in (
                "UPDATE gateway.unit_use_register SET purpose = 'x'",
                "DELETE FROM gateway.unit_use_register",
            ):
                with pytest.raises(Exception, match="append-only"):
                    async with conn.begin_nested():
                        await conn.execute(text(change))
        # Someone with the owner's powers disables the triggers and alters the second record.
        await _as_owner(
            engine, ("UPDATE gateway.unit_use_register SET destination = '存档' WHERE seq = :s", one)
        )
        altered = (await gateway.get(f"{uses_of(unit)}/verify", headers=office)).json()
        assert altered == {
            "records": 3,
            "intact": False,
            "head_seq": None,
            "head_hash": None,
            "first_break_seq": seqs[1],
            "problem": "the record was altered after it was written",
        }
        assert (await gateway.get(f"{uses_of(other)}/verify", headers=office)).json()["intact"]
        # Another removes it: the link of the record after it shows the gap.
        await _as_owner(
            engine,
            ("CREATE TABLE public.kept_use AS SELECT * FROM gateway.unit_use_register WHERE seq = :s", one),
            ("DELETE FROM gateway.unit_use_register WHERE seq = :s", one),
        )
        removed = (await gateway.get(f"{uses_of(unit)}/verify", headers=office)).json()
        assert (removed["records"], removed["first_break_seq"]) == (2, seqs[2])
        assert "removed or reordered" in removed["problem"]
    finally:
        # The register as it was, for the other tests of this run.
        await _as_owner(
            engine,
            ("INSERT INTO gateway.unit_use_register SELECT * FROM public.kept_use", {}),
            ("DROP TABLE public.kept_use", {}),
            (
                "UPDATE gateway.unit_use_register SET destination = :d WHERE seq = :s",
                {**one, "d": use([])["destination"]},
            ),
        )
        await engine.dispose()
    assert (await gateway.get(f"{uses_of(unit)}/verify", headers=office)).json()["intact"]


async def _as_owner(engine: AsyncEngine, *statements: tuple[str, dict[str, Any]]) -> None:
    """Someone with the owner's powers: the register's triggers off, the statements, back on."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE gateway.unit_use_register DISABLE TRIGGER USER"))
        for statement, params in statements:
            await conn.execute(text(statement), params)
        await conn.execute(text("ALTER TABLE gateway.unit_use_register ENABLE TRIGGER USER"))


@pytest.fixture
async def gateway_answering_errors(
    migrated: str, bootstrap: str, registry_url: str, token: TokenFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway as a server runs it: an unexpected error answered 500 (and logged), not
    raised into the client."""
    app = create_app(gateway_settings(migrated, bootstrap, registry_url, token, signing_keys))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as c,
    ):
        yield c


async def test_names_and_purposes_never_reach_the_logs(
    gateway_answering_errors: httpx.AsyncClient, harbin_unit: Unit, migrated: str
) -> None:
    """The register holds people's names and what footage was used for: a write the database
    refuses unexpectedly (here: the service's role lost its INSERT) is answered 500 and logged
    with its traceback, as the service writes its log lines, and neither names the record's
    values."""
    unit = harbin_unit
    marked = use(
        unit.cameras,
        personnel=["Zhang-marker-5813"],
        purpose="purpose-marker-5813",
        destination="destination-marker-5813",
    )
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(JsonFormatter("gateway"))
    logging.getLogger().addHandler(handler)
    engine = create_engine(migrated, 1, "gateway-test")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("REVOKE INSERT ON gateway.unit_use_register FROM jifang_gateway"))
        r = await gateway_answering_errors.post(uses_of(unit), json=marked, headers=unit.admin)
    finally:
        logging.getLogger().removeHandler(handler)
        async with engine.begin() as conn:
            await conn.execute(text("GRANT INSERT ON gateway.unit_use_register TO jifang_gateway"))
        await engine.dispose()
    logged = log.getvalue()
    assert r.status_code == 500 and "marker" not in r.text
    assert "unhandled error" in logged and "permission denied" in logged  # the error is logged...
    assert "marker-5813" not in logged  # ...without the record's values
