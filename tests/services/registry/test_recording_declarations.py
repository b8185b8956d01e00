"""What a unit declares so that only real interruptions are findings (issue 13 item 13):
how each system (or camera channel) records, and maintenance windows declared beforehand.
HRB art. 20(5) "不得无故中断技防系统正常运行"; KMG art. 19 "应当保证系统正常运行，不得无故中断"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from jifang.auth import Role
from tests.conftest import TokenFactory, auth
from tests.services.registry.factories import create_device, create_unit

SCHEDULED = {"mode": "scheduled", "schedule": [{"days": [1, 2, 3, 4, 5], "start": "07:30", "end": "19:00"}]}


def _rules(r: httpx.Response) -> set[tuple[str, str]]:
    assert r.status_code == 422, r.text
    return {(e["field"], e["rule"]) for e in r.json()["errors"]}


async def test_a_system_declares_how_it_records(client: httpx.AsyncClient, token: TokenFactory) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    r = await client.post(
        f"/api/v1/units/{unit['id']}/systems", json={"name": "视频", "system_type": "video"}, headers=tech
    )
    assert r.json()["recording"] == {"mode": "continuous", "schedule": []}  # until declared otherwise
    r = await client.patch(f"/api/v1/systems/{r.json()['id']}", json={"recording": SCHEDULED}, headers=tech)
    assert r.status_code == 200 and r.json()["recording"] == SCHEDULED
    camera = await create_device(client, tech, unit["id"], recording={"mode": "event", "schedule": []})
    assert camera["recording"] == {"mode": "event", "schedule": []}
    r = await client.patch(f"/api/v1/devices/{camera['id']}", json={"recording": None}, headers=tech)
    assert r.status_code == 200 and r.json()["recording"] is None  # as its system


async def test_a_declaration_that_makes_no_sense_is_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    url = f"/api/v1/units/{unit['id']}/systems"

    async def post(recording: Any) -> httpx.Response:
        return await client.post(
            url, json={"name": "视频", "system_type": "video", "recording": recording}, headers=tech
        )

    rules = _rules(await post({"mode": "scheduled", "schedule": []}))
    assert ("body.recording", "schedule-fits-mode") in rules
    rules = _rules(await post({"mode": "continuous", "schedule": SCHEDULED["schedule"]}))
    assert ("body.recording", "schedule-fits-mode") in rules
    slot = {"days": [1, 1], "start": "08:00", "end": "09:00"}
    assert ("body.recording.schedule.0", "weekday-once") in _rules(
        await post({"mode": "scheduled", "schedule": [slot]})
    )
    slot = {"days": [1], "start": "08:00", "end": "08:00"}
    assert ("body.recording.schedule.0", "slot-not-empty") in _rules(
        await post({"mode": "scheduled", "schedule": [slot]})
    )
    slot = {"days": [8], "start": "24:00", "end": "8"}
    fields = {f for f, _ in _rules(await post({"mode": "scheduled", "schedule": [slot]}))}
    assert {
        "body.recording.schedule.0.days.0",
        "body.recording.schedule.0.start",
        "body.recording.schedule.0.end",
    } <= fields
    assert ("body.recording.mode", "enum") in _rules(await post({"mode": "sometimes"}))
    many = [{"days": [1], "start": "08:00", "end": "09:00"}] * 51
    assert ("body.recording.schedule", "too_long") in _rules(
        await post({"mode": "scheduled", "schedule": many})
    )


def _window(device_ids: list[str], start: dt.datetime, hours: float = 2, **over: Any) -> dict[str, Any]:
    return {
        "device_ids": device_ids,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
        "reason": "更换录像机硬盘（维保单位：示例安防）",
        **over,
    }


async def test_the_unit_declares_maintenance_beforehand(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    """Ruling 1: "A unit may declare maintenance windows (planned work is a cause)" — before
    the work: a window in the past would excuse what already happened, which is the office's
    to judge. The unit itself declares; the police read them."""
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    nvr = await create_device(client, tech, unit["id"], kind="nvr", location_type="server_room")
    url = f"/api/v1/units/{unit['id']}/maintenance-windows"
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    r = await client.post(url, json=_window([nvr["id"]], tomorrow), headers=admin)
    assert r.status_code == 201, r.text
    window = r.json()
    assert window["device_ids"] == [nvr["id"]] and window["cancelled_at"] is None
    assert window["declared_by"] and window["reason"].startswith("更换")
    # The tech office does not declare the unit's cause for it.
    assert (await client.post(url, json=_window([nvr["id"]], tomorrow), headers=tech)).status_code == 403
    # The police see a unit's windows.
    r = await client.get(url, headers=auth(token(Role.POLICE_OPERATOR)))
    assert r.status_code == 200 and [w["id"] for w in r.json()] == [window["id"]]
    # Cancelled before it starts: it covers nothing, and says so.
    r = await client.post(f"/api/v1/maintenance-windows/{window['id']}/cancel", headers=admin)
    assert r.status_code == 200 and r.json()["cancelled_at"] is not None
    # A window starting "now", as typed a moment ago, starts at the declaration; once started it
    # stands as declared.
    r = await client.post(
        url, json=_window([nvr["id"]], dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)), headers=admin
    )
    assert r.status_code == 201, r.text
    started = r.json()
    assert dt.datetime.fromisoformat(started["starts_at"]) >= dt.datetime.now(dt.UTC) - dt.timedelta(
        seconds=30
    )
    r = await client.post(f"/api/v1/maintenance-windows/{started['id']}/cancel", headers=admin)
    assert r.status_code == 409, r.text
    # Listed by start, cancelled ones included; `ending_after` leaves out what ended before.
    r = await client.get(url, headers=admin)
    assert [w["id"] for w in r.json()] == [started["id"], window["id"]]
    after_both = (tomorrow + dt.timedelta(hours=3)).isoformat()
    r = await client.get(url, params={"ending_after": after_both}, headers=admin)
    assert r.status_code == 200 and r.json() == []


async def test_windows_that_would_excuse_too_much_are_refused(
    client: httpx.AsyncClient, token: TokenFactory
) -> None:
    tech = auth(token(Role.TECH_OFFICE))
    unit = await create_unit(client, tech)
    other = await create_unit(client, tech)
    admin = auth(token(Role.UNIT_ADMIN, unit_id=unit["id"]))
    camera = await create_device(client, tech, unit["id"])
    theirs = await create_device(client, tech, other["id"])
    url = f"/api/v1/units/{unit['id']}/maintenance-windows"
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cases = [
        (_window([camera["id"]], yesterday), ("starts_at", "declared-beforehand")),
        (_window([camera["id"]], soon, hours=-1), ("ends_at", "after-start")),
        # 7 days is a platform default (neither text sets a length), and the refusal says so
        (_window([camera["id"]], soon, hours=8 * 24), ("ends_at", "platform-window-limit")),
        (_window([camera["id"], theirs["id"]], soon), ("device_ids", "device-of-this-unit")),
        (_window([], soon), ("body.device_ids", "too_short")),
        (
            _window([camera["id"]], soon, starts_at="2026-12-24T10:00:00"),
            ("body.starts_at", "timezone_aware"),
        ),
        (_window([camera["id"]], soon, reason=" "), ("body.reason", "string_too_short")),
        # Hostile: a NUL (PostgreSQL cannot store it), a reason of a novel's length, a device list
        # past the schema's bound, a text where an instant belongs.
        (_window([camera["id"]], soon, reason="换\x00电源"), ("body.reason", "no-nul-characters")),
        (_window([camera["id"]], soon, reason="长" * 2001), ("body.reason", "string_too_long")),
        (_window([camera["id"]] * 1001, soon), ("body.device_ids", "too_long")),
        (_window([camera["id"]], soon, ends_at="明天"), ("body.ends_at", "datetime_from_date_parsing")),
    ]
    for body, rule in cases:
        r = await client.post(url, json=body, headers=admin)
        assert rule in _rules(r), (rule, r.text)
        if rule[1] == "platform-window-limit":
            assert "platform default" in r.text
    # Another unit's administrator cannot declare for this unit, nor cancel its windows.
    theirs_admin = auth(token(Role.UNIT_ADMIN, unit_id=other["id"]))
    r = await client.post(url, json=_window([camera["id"]], soon), headers=theirs_admin)
    assert r.status_code == 404
    r = await client.post(url, json=_window([camera["id"]], soon), headers=admin)
    r = await client.post(f"/api/v1/maintenance-windows/{r.json()['id']}/cancel", headers=theirs_admin)
    assert r.status_code == 404
