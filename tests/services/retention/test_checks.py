"""The check as it runs: recorders registered in the real registry, reconciled into retention's
mirror, read over ONVIF from the simulator (credentials from the registry), judged, published
through the outbox. Faulty recorders give "cannot verify" with the reason and never stop the
run; a deletion between two checks is seen."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.auth import Role
from jifang.credentials import RegistryCredentials
from jifang.db import session_scope
from jifang.mirror import sync_fleet
from jifang.policy import load_policy_book
from jifang.registry_client import RegistryClient
from services.retention.checks import RetentionChecker, RetentionMetrics
from services.retention.feed import RecordedFleet
from services.retention.findings import render_findings
from services.retention.models import MirroredMaintenanceWindow, OutboxEvent
from services.retention.reading import ReadLimits
from services.retention.repository import FleetRepository
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit

PASSWORD = "sim-pw"
LAYOUTS: dict[str, Any] = {
    "forty": [{"days": 40}],
    "ten": [{"days": 10}],
    "gap": [{"days": 40, "gaps": [[3, 2.5]]}],
    "stopped": [{"days": 20, "status": "Stopped"}],
    "set-short": [{"days": 20, "max_retention_days": 7}],
    "two-channels": [
        {"days": 40, "source_token": "VideoSource_1"},
        {"days": 3, "source_token": "VideoSource_2"},
    ],
}
FAULTS: dict[str, dict[str, Any]] = {
    "wrong-password": {"password": "changed-on-site"},
    "offline": {"offline": True},
    "malformed": {"malformed": True},
    "hanging": {"hanging": True},
    "stuck-index": {"search_hangs": True},
    "summary-inverted": {"index_fault": "summary_inverted"},
    "outside-summary": {"index_fault": "tracks_outside_summary"},
    "track-inverted": {"index_fault": "track_inverted"},
}


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    devices = [SimDevice(name, kind="nvr", password=PASSWORD) for name in [*LAYOUTS, *FAULTS]]
    devices.append(SimDevice("camera-without-storage", password=PASSWORD))
    await f.start(devices)
    for name, layout in LAYOUTS.items():
        await f.update(name, {"recordings": layout})
    for name in FAULTS:
        await f.update(name, {"recordings": [{"days": 40}]})
    yield f
    await f.stop()


async def registered(
    client: httpx.AsyncClient, token: TokenFactory, fleet: Fleet, jurisdiction: str
) -> tuple[str, dict[str, str]]:
    headers = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, headers, jurisdiction)
    ids = {}
    for sim in fleet.devices.values():
        d = await create_device(
            client,
            headers,
            unit["id"],
            kind=sim.kind,
            name=sim.device_id,
            location_type="server_room" if sim.kind == "nvr" else "entrance",
            onvif_address=f"{sim.base_url}/onvif/device_service",
            username=sim.username,
            password=PASSWORD,
        )
        ids[sim.device_id] = d["id"]
    return unit["id"], ids


async def synced(maker: async_sessionmaker[AsyncSession], registry_url: str, token: TokenFactory) -> None:
    """Retention's mirror made equal to the registry, as at start-up."""
    async with RegistryClient(registry_url, token(Role.SERVICE)) as registry:
        await sync_fleet(maker, RecordedFleet, registry)


def checker(registry_url: str, token: TokenFactory) -> RetentionChecker:
    return RetentionChecker(
        RegistryCredentials(RegistryClient(registry_url, token(Role.SERVICE))),
        RetentionMetrics(CollectorRegistry()),
        load_policy_book(),
        window=timedelta(days=30),
        limits=ReadLimits(deadline_s=4, call_timeout_s=1.5, search_deadline_s=2),
        concurrency=8,
    )


async def check_unit(
    maker: async_sessionmaker[AsyncSession], c: RetentionChecker, unit_id: str
) -> dict[str, list[dict[str, Any]]]:
    async with session_scope(maker) as session:
        recorders = await FleetRepository(session).recorders_of_unit(uuid.UUID(unit_id))
    readings = await c.read(recorders)
    async with session_scope(maker) as session:
        judged = await c.record(session, readings, 86400)
    out: dict[str, list[dict[str, Any]]] = {}
    for row in judged:
        out.setdefault(str(row.recorder_id), []).append(
            {**row._mapping, "findings": render_findings(row, c.book)}
        )
    return out


async def test_verdicts_and_reasons_for_a_fleet(
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    retention_maker: async_sessionmaker[AsyncSession],
    fleet: Fleet,
) -> None:
    unit_id, ids = await registered(client, token, fleet, "harbin-2008")
    for name, fault in FAULTS.items():
        await fleet.update(name, fault)
    await synced(retention_maker, registry_url, token)
    c = checker(registry_url, token)
    results = await check_unit(retention_maker, c, unit_id)

    def one(name: str) -> dict[str, Any]:
        (row,) = results[ids[name]]
        return row

    assert one("forty")["verdict"] == "compliant"
    assert one("forty")["retained_days"] == pytest.approx(40, abs=0.01)
    assert one("ten")["verdict"] == "violating"
    assert [f["articles"] for f in one("ten")["findings"]] == [["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]]
    assert [f["kind"] for f in one("gap")["findings"]] == ["gap"] and len(one("gap")["gaps"]) == 1
    assert [f["kind"] for f in one("stopped")["findings"]] == ["stopped"]
    assert [f["kind"] for f in one("set-short")["findings"]] == ["configured_short"]
    two = {r["recording_token"]: r["verdict"] for r in results[ids["two-channels"]]}
    assert two == {"Recording_1": "compliant", "Recording_2": "violating"}
    assert one("camera-without-storage")["verdict"] == "cannot_verify"
    assert "Profile G" in one("camera-without-storage")["reason"]
    reasons = {name: one(name)["reason"] for name in FAULTS}
    assert all(one(name)["verdict"] == "cannot_verify" for name in FAULTS), reasons
    assert "refused the credentials" in reasons["wrong-password"]
    assert "unreachable" in reasons["offline"]
    assert "malformed" in reasons["malformed"]
    assert "did not" in reasons["hanging"] and "did not" in reasons["stuck-index"]
    assert "DataUntil is before its DataFrom" in reasons["summary-inverted"]
    assert "outside the summary" in reasons["outside-summary"]
    assert "DataTo is before DataFrom" in reasons["track-inverted"]
    # The stuck index was still told to end its search.
    stuck = fleet.devices["stuck-index"].recordings
    assert stuck is not None and stuck.searches == {}
    # Every channel's result is on its way to the retention topic, keyed by the unit.
    async with session_scope(retention_maker) as session:
        events = (await session.scalars(select(OutboxEvent).where(OutboxEvent.key == unit_id))).all()
    assert len(events) == sum(len(v) for v in results.values())


async def test_a_deletion_between_two_checks(
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    retention_maker: async_sessionmaker[AsyncSession],
    fleet: Fleet,
) -> None:
    unit_id, ids = await registered(client, token, fleet, "kunming-2012")
    await synced(retention_maker, registry_url, token)
    c = checker(registry_url, token)
    first = await check_unit(retention_maker, c, unit_id)
    assert first[ids["forty"]][0]["verdict"] == "compliant"
    # Someone cuts a day out of the footage, and deletes the oldest 25 days elsewhere.
    await fleet.update("forty", {"recordings": [{"days": 40, "gaps": [[5, 4]]}]})
    await fleet.update("gap", {"recordings": [{"days": 15}]})
    second = await check_unit(retention_maker, c, unit_id)
    cut = second[ids["forty"]][0]
    assert cut["verdict"] == "violating"
    assert [(f["kind"], f["articles"]) for f in cut["findings"]] == [
        ("deleted", ["KMG-2012 art. 22(1)"])  # a suspicion: the duty only (ruling 1)
    ]
    wiped = {f["kind"] for f in second[ids["gap"]][0]["findings"]}
    assert wiped == {"short", "deleted"}


async def test_declared_recording_and_maintenance_reach_the_judge(
    client: httpx.AsyncClient,
    registry_url: str,
    token: TokenFactory,
    retention_maker: async_sessionmaker[AsyncSession],
    fleet: Fleet,
) -> None:
    """What the unit declares in the registry is what retention judges by: the NVR with a gap,
    in a system declared to record on events, has no interruption (HRB art. 20(5) "不得无故中断
    技防系统正常运行"); declared on its channel instead, the same; a maintenance window the unit
    declares reaches retention's mirror with its devices, and leaves it when cancelled."""
    unit_id, ids = await registered(client, token, fleet, "harbin-2008")
    tech = auth(token(Role.TECH_OFFICE))
    r = await client.post(
        f"/api/v1/units/{unit_id}/systems",
        json={"name": "视频", "system_type": "video", "recording": {"mode": "event", "schedule": []}},
        headers=tech,
    )
    assert r.status_code == 201, r.text
    r = await client.patch(f"/api/v1/devices/{ids['gap']}", json={"system_id": r.json()["id"]}, headers=tech)
    assert r.status_code == 200, r.text
    await synced(retention_maker, registry_url, token)
    c = checker(registry_url, token)
    (gap,) = (await check_unit(retention_maker, c, unit_id))[ids["gap"]]
    assert gap["verdict"] == "compliant" and len(gap["gaps"]) == 1
    # The system records continuously again, but the channel itself on events: still none.
    r = await client.patch(
        f"/api/v1/devices/{ids['gap']}",
        json={"system_id": None, "recording": {"mode": "event", "schedule": []}},
        headers=tech,
    )
    assert r.status_code == 200 and r.json()["recording"]["mode"] == "event"
    await synced(retention_maker, registry_url, token)
    (gap,) = (await check_unit(retention_maker, c, unit_id))[ids["gap"]]
    assert gap["verdict"] == "compliant"
    # Cleared: as its (no) system, continuous: the gap is an interruption again.
    r = await client.patch(f"/api/v1/devices/{ids['gap']}", json={"recording": None}, headers=tech)
    assert r.json()["recording"] is None
    await synced(retention_maker, registry_url, token)
    (gap,) = (await check_unit(retention_maker, c, unit_id))[ids["gap"]]
    assert [f["kind"] for f in gap["findings"]] == ["gap"]
    # A window declared for tomorrow's work on two recorders.
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit_id))
    start = dt.datetime.now(dt.UTC) + timedelta(days=1)
    r = await client.post(
        f"/api/v1/units/{unit_id}/maintenance-windows",
        json={
            "device_ids": [ids["forty"], ids["ten"]],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "reason": "硬盘扩容",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    window_id = r.json()["id"]
    await synced(retention_maker, registry_url, token)
    async with session_scope(retention_maker) as session:
        mirrored = await session.get(MirroredMaintenanceWindow, uuid.UUID(window_id))
        assert mirrored is not None
        assert sorted(map(str, mirrored.device_ids)) == sorted([ids["forty"], ids["ten"]])
        assert abs((mirrored.period.lower - start).total_seconds()) < 1
    r = await client.post(f"/api/v1/maintenance-windows/{window_id}/cancel", headers=admin)
    assert r.status_code == 200 and r.json()["cancelled_at"] is not None
    await synced(retention_maker, registry_url, token)
    async with session_scope(retention_maker) as session:
        assert await session.get(MirroredMaintenanceWindow, uuid.UUID(window_id)) is None
