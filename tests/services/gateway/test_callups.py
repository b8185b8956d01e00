"""The README's call-up, end to end: an operator calls up a registered camera with purpose,
case and destination and gets a grant; the relay's hook (MediaMTX's exact request) accepts it
for that path and action only and refuses it once expired or tampered with; a unit
administrator and incomplete requests are refused, and every use, granted or refused, is in
the register, whose chain verifies, also after 50 concurrent call-ups, and fails after a
record is altered directly in the database. The service's role cannot change the register;
with the database down no grant is issued."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from devtools.broker import free_port
from jifang.auth import Role
from jifang.db import create_engine
from jifang.errors import LegalRuleViolation, ValidationFailed
from jifang.policy import load_policy_book
from services.gateway.app import create_app
from services.gateway.callups import CallUps
from services.gateway.cameras import Camera
from services.gateway.schemas import CallUpRequest
from tests.conftest import TokenFactory, auth, metric_value
from tests.services.gateway.conftest import callup, gateway_settings, hook, serve


async def test_operator_call_up_and_the_relay_hook(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory
) -> None:
    operator = auth(token(Role.POLICE_OPERATOR))
    r = await gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=operator)
    assert r.status_code == 201, r.text
    grant = r.json()
    assert grant["path"] == f"cam/{camera['id']}" and grant["stream_url"].endswith(grant["path"])
    assert "192.0.2.10" not in r.text  # the camera's own address (and credentials) never leave
    ok = await gateway.post("/internal/relay/auth", json=hook(grant["token"], grant["path"]))
    assert ok.status_code == 200
    as_query = {**hook("", grant["path"]), "query": f"token={grant['token']}"}
    assert (await gateway.post("/internal/relay/auth", json=as_query)).status_code == 200
    other_camera = hook(grant["token"], f"cam/{uuid.uuid4()}")
    assert (await gateway.post("/internal/relay/auth", json=other_camera)).status_code == 401
    assert (
        await gateway.post("/internal/relay/auth", json=hook(grant["token"], grant["path"], "publish"))
    ).status_code == 401
    tampered = grant["token"][:-4] + ("AAAA" if not grant["token"].endswith("AAAA") else "BBBB")
    assert (await gateway.post("/internal/relay/auth", json=hook(tampered, grant["path"]))).status_code == 401
    # The platform operators' dashboard counts call-ups per bureau.
    metrics = (await gateway.get("/metrics")).text
    granted = {"mode": "live", "outcome": "granted", "bureau": "哈尔滨市公安局"}
    assert metric_value(metrics, "gateway_callups_total", **granted) == 1
    assert metric_value(metrics, "gateway_register_write_failures_total") == 0


async def test_an_expired_grant_is_refused(
    migrated: str,
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],
) -> None:
    app = create_app(
        gateway_settings(migrated, bootstrap, registry_url, token, signing_keys, grant_lifetime_s=1)
    )
    async for gw in serve(app):
        r = await gw.post(
            "/api/v1/callups", json=callup(camera["id"]), headers=auth(token(Role.POLICE_OPERATOR))
        )
        grant = r.json()
        assert (
            await gw.post("/internal/relay/auth", json=hook(grant["token"], grant["path"]))
        ).status_code == 200
        await asyncio.sleep(2.1)
        assert (
            await gw.post("/internal/relay/auth", json=hook(grant["token"], grant["path"]))
        ).status_code == 401


async def test_refusals_are_clear_and_registered(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory, migrated: str
) -> None:
    unit_admin = auth(token(Role.UNIT_ADMIN, unit_id=camera["unit_id"]))
    r = await gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=unit_admin)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    # The camera's own city's article (a Harbin unit: HRB art. 20(4), "不得向公安机关以外的单位和
    # 个人提供、传播图像信息资料"), never another city's.
    assert "HRB-2008 art. 20(4)" in r.json()["detail"] and "KMG" not in r.json()["detail"], r.text
    refused_admin = r.json()["use_seq"]
    operator = auth(token(Role.POLICE_OPERATOR))
    r = await gateway.post(
        "/api/v1/callups", json=callup(camera["id"], purpose=" ", destination=None), headers=operator
    )
    assert r.status_code == 422
    assert {(e["field"], e["rule"]) for e in r.json()["errors"]} == {
        ("purpose", "required"),
        ("destination", "required"),
    }
    assert r.json()["use_seq"] > refused_admin
    r = await gateway.post("/api/v1/callups", json=callup(str(uuid.uuid4())), headers=operator)
    assert r.status_code == 404 and r.json()["use_seq"] > refused_admin
    now = dt.datetime.now(dt.UTC)
    # Ruling 4: 15 days are what a unit must keep at least, not how far back the police may
    # look; with no reading of the recorder to say otherwise, the call-up goes ahead, unverified.
    older = callup(
        camera["id"],
        mode="playback",
        range_from=(now - dt.timedelta(days=20)).isoformat(),
        range_to=(now - dt.timedelta(days=19)).isoformat(),
    )
    r = await gateway.post("/api/v1/callups", json=older, headers=operator)
    assert r.status_code == 201 and r.json()["footage"] == "cannot_verify", r.text
    # One grant covers at most 24 hours: a platform default, citing no article.
    longer = callup(
        camera["id"],
        mode="playback",
        range_from=(now - dt.timedelta(days=3)).isoformat(),
        range_to=(now - dt.timedelta(days=1)).isoformat(),
    )
    r = await gateway.post("/api/v1/callups", json=longer, headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "platform-playback-limit", r.text
    assert "platform default" in r.json()["detail"] and "art." not in r.json()["detail"]
    ok = callup(
        camera["id"],
        mode="playback",
        range_from=(now - dt.timedelta(days=2)).isoformat(),
        range_to=(now - dt.timedelta(days=2) + dt.timedelta(hours=1)).isoformat(),
    )
    r = await gateway.post("/api/v1/callups", json=ok, headers=operator)
    assert r.status_code == 201 and r.json()["action"] == "playback"
    engine = create_engine(migrated, 1, "gateway-test")
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT role, outcome, refusal_reason, mode FROM gateway.use_register "
                    "WHERE seq >= :s ORDER BY seq"
                ),
                {"s": refused_admin},
            )
        ).all()
    await engine.dispose()
    mine = [r for r in rows if r.role in ("unit_admin", "police_operator")]
    assert [(r.role, r.outcome) for r in mine[:5]] == [
        ("unit_admin", "refused"),
        ("police_operator", "refused"),  # no purpose, no destination
        ("police_operator", "refused"),  # no such camera
        ("police_operator", "granted"),  # 20 days back: not refused (ruling 4)
        ("police_operator", "refused"),  # over the platform's 24 hours per grant
    ]
    assert "police only" in mine[0].refusal_reason


async def test_the_chain_under_concurrency_and_after_tampering(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory, migrated: str
) -> None:
    operator = auth(token(Role.POLICE_OPERATOR))
    results = await asyncio.gather(
        *(gateway.post("/api/v1/callups", json=callup(camera["id"]), headers=operator) for _ in range(50))
    )
    assert [r.status_code for r in results] == [201] * 50
    auditor = auth(token(Role.AUDITOR))
    report = (await gateway.get("/api/v1/register/verify", headers=auditor)).json()
    assert report["intact"] and report["records"] >= 50
    engine = create_engine(migrated, 1, "gateway-test")
    try:
        async with engine.begin() as conn:
            # The service's own role may not change the register; the trigger refuses anyone.
            with pytest.raises(Exception, match="permission denied"):
                async with conn.begin_nested():
                    await conn.execute(text("SET LOCAL ROLE jifang_gateway"))
                    await conn.execute(text("UPDATE gateway.use_register SET purpose = 'x'"))
            with pytest.raises(Exception, match="append-only"):
                async with conn.begin_nested():
                    await conn.execute(text("DELETE FROM gateway.use_register"))
        # Someone with the owner's powers disables the trigger and alters one record.
        async with engine.begin() as conn:
            await conn.execute(
                text("ALTER TABLE gateway.use_register DISABLE TRIGGER use_register_no_change")
            )
            seq = results[10].json()["use_seq"]
            await conn.execute(
                text("UPDATE gateway.use_register SET case_number = 'A-altered' WHERE seq = :s"), {"s": seq}
            )
            await conn.execute(text("ALTER TABLE gateway.use_register ENABLE TRIGGER use_register_no_change"))
        broken = (await gateway.get("/api/v1/register/verify", headers=auditor)).json()
        assert not broken["intact"] and broken["first_break_seq"] == seq and "altered" in broken["problem"]
        # Another removes a record (the altered one put back first): the next one's link shows it.
        removed = results[20].json()["use_seq"]
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE gateway.use_register DISABLE TRIGGER USER"))
            await conn.execute(
                text("UPDATE gateway.use_register SET case_number = 'A2301032026110001' WHERE seq = :s"),
                {"s": seq},
            )
            await conn.execute(
                text("CREATE TABLE public.kept AS SELECT * FROM gateway.use_register WHERE seq = :s"),
                {"s": removed},
            )
            await conn.execute(text("DELETE FROM gateway.use_register WHERE seq = :s"), {"s": removed})
            await conn.execute(text("ALTER TABLE gateway.use_register ENABLE TRIGGER USER"))
        unlinked = (await gateway.get("/api/v1/register/verify", headers=auditor)).json()
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE gateway.use_register DISABLE TRIGGER USER"))
            await conn.execute(text("INSERT INTO gateway.use_register SELECT * FROM public.kept"))
            await conn.execute(text("DROP TABLE public.kept"))
            await conn.execute(text("ALTER TABLE gateway.use_register ENABLE TRIGGER USER"))
        assert not unlinked["intact"] and unlinked["first_break_seq"] > removed, (unlinked, removed)
        assert "removed or reordered" in unlinked["problem"]
        # And another swaps two records' places: the links show it.
        a, b = results[30].json()["use_seq"], results[31].json()["use_seq"]
        move = text("UPDATE gateway.use_register SET seq = :to WHERE seq = :at")

        async def swap() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("ALTER TABLE gateway.use_register DISABLE TRIGGER USER"))
                for at, to in ((a, -1), (b, a), (-1, b)):
                    await conn.execute(move, {"at": at, "to": to})
                await conn.execute(text("ALTER TABLE gateway.use_register ENABLE TRIGGER USER"))

        await swap()
        reordered = (await gateway.get("/api/v1/register/verify", headers=auditor)).json()
        await swap()
        assert not reordered["intact"] and reordered["first_break_seq"] in (a, b)
    finally:
        # Put the record back (through the owner, trigger off) for the other tests of this run.
        async with engine.begin() as conn:
            await conn.execute(
                text("ALTER TABLE gateway.use_register DISABLE TRIGGER use_register_no_change")
            )
            await conn.execute(
                text(
                    "UPDATE gateway.use_register SET case_number = 'A2301032026110001' "
                    "WHERE case_number = 'A-altered'"
                )
            )
            await conn.execute(text("ALTER TABLE gateway.use_register ENABLE TRIGGER use_register_no_change"))
        await engine.dispose()
    assert (await gateway.get("/api/v1/register/verify", headers=auditor)).json()["intact"]


async def test_no_grant_without_registration(
    bootstrap: str,
    registry_url: str,
    token: TokenFactory,
    signing_keys: tuple[str, str],
    camera: dict[str, Any],
) -> None:
    """The database is down: the camera checks out, but the use cannot be registered: 503."""
    down = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    app = create_app(gateway_settings(down, bootstrap, registry_url, token, signing_keys))
    async for gw in serve(app):
        r = await gw.post(
            "/api/v1/callups", json=callup(camera["id"]), headers=auth(token(Role.POLICE_OPERATOR))
        )
        assert r.status_code == 503 and "Retry-After" in r.headers
        assert "token" not in r.json()
        # What the "use register failing to write" and "not ready" alerts read.
        metrics = (await gw.get("/metrics")).text
        assert metric_value(metrics, "gateway_register_write_failures_total") == 1
        assert metric_value(metrics, "service_dependency_up", dependency="database") == 0
        assert metric_value(metrics, "service_ready") == 0


def test_a_camera_in_a_forbidden_place_is_never_shown() -> None:
    """The registry refuses such cameras; should one exist (a unit moved to a stricter city),
    the gateway refuses its images citing the pack's article."""
    camera_id = uuid.uuid4()
    fitting_room = Camera(
        camera_id=camera_id,
        unit_id=uuid.uuid4(),
        kind="camera",
        name="试衣间",
        location_type="fitting_room",
        jurisdiction="kunming-2012",
        district="五华区",
        reachable=True,
        networking=None,
    )
    callups = CallUps(None, None, load_policy_book(), None)  # type: ignore[arg-type]  # the check needs none
    with pytest.raises(LegalRuleViolation) as refused:
        callups._check_camera(fitting_room, camera_id, CallUpRequest(camera_id=str(camera_id)))
    assert refused.value.article == "KMG-2012 art. 7"
    # A place type the tech office added to the list (等, ruling 5), as the registry says.
    office = fitting_room.model_copy(
        update={
            "location_type": "government_internal_office",
            "forbidden_place": "KMG-2012 art. 7 (等: added by the tech office: 机关内部办公室)",
        }
    )
    with pytest.raises(LegalRuleViolation) as refused:
        callups._check_camera(office, camera_id, CallUpRequest(camera_id=str(camera_id)))
    assert refused.value.article == "KMG-2012 art. 7" and "机关内部办公室" in refused.value.detail


def test_a_camera_of_a_closed_unit_is_not_called_up() -> None:
    """A unit closed (注销) is no longer networked with the platform: its cameras' call-ups are
    refused (and, like every refusal, registered)."""
    camera_id = uuid.uuid4()
    closed = Camera(
        camera_id=camera_id,
        unit_id=uuid.uuid4(),
        kind="camera",
        name="大门",
        location_type="entrance",
        jurisdiction="harbin-2008",
        district="南岗区",
        reachable=True,
        networking="connected",
        unit_closed=True,
    )
    callups = CallUps(None, None, load_policy_book(), None)  # type: ignore[arg-type]  # the check needs none
    with pytest.raises(ValidationFailed) as refused:
        callups._check_camera(closed, camera_id, CallUpRequest(camera_id=str(camera_id)))
    assert refused.value.errors[0].rule == "unit-active"


async def test_what_the_register_cannot_hold_is_refused(
    gateway: httpx.AsyncClient, camera: dict[str, Any], token: TokenFactory
) -> None:
    """A NUL character (no text column holds one), or an instant outside the years the
    database holds, is refused as input, not a server error."""
    operator = auth(token(Role.POLICE_OPERATOR))
    r = await gateway.post("/api/v1/callups", json=callup(camera["id"], purpose="追查\x00"), headers=operator)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("body.purpose", "no-nul-characters")]
    early = callup(camera["id"], mode="playback", range_from="0001-01-01T00:00:00+01:00")
    r = await gateway.post("/api/v1/callups", json=early, headers=operator)
    assert r.status_code == 422
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [("body.range_from", "date-range")]
