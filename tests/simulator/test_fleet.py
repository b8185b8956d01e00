"""The fleet over real HTTP, with the real onvif-zeep-async client, misbehaving on demand."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
import pytest
import zeep.exceptions
from aiohttp import web
from lxml import etree
from onvif import ONVIFCamera

from devtools.broker import free_port
from simulator.device import Behaviour, SimDevice
from simulator.server import Fleet, control_app
from simulator.soap import NS, PASSWORD_DIGEST, password_digest
from tests.conftest import assert_valid

PASSWORD = "correct horse"


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start(SimDevice(f"d{i}", password=PASSWORD) for i in range(3))
    yield f
    await f.stop()


def camera(dev: SimDevice, password: str = PASSWORD, adjust_time: bool = False) -> ONVIFCamera:
    return ONVIFCamera("127.0.0.1", dev.port, "admin", password, adjust_time=adjust_time)


def signed(
    body: str, password: str = PASSWORD, created: datetime | None = None, nonce: bytes | None = None
) -> bytes:
    nonce = nonce or os.urandom(16)
    stamp = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        f'<env:Envelope xmlns:env="{NS["env"]}" xmlns:wsse="{NS["wsse"]}" xmlns:wsu="{NS["wsu"]}">'
        "<env:Header><wsse:Security><wsse:UsernameToken><wsse:Username>admin</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_DIGEST}">{password_digest(nonce, stamp, password)}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce><wsu:Created>{stamp}</wsu:Created>"
        f"</wsse:UsernameToken></wsse:Security></env:Header><env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


async def post(dev: SimDevice, path: str, envelope: bytes, timeout: float = 5) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout) as c:
        return await c.post(
            f"{dev.base_url}{path}",
            content=envelope,
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        )


async def test_the_real_client_reads_a_device(fleet: Fleet) -> None:
    dev = fleet.devices["d0"]
    cam = camera(dev)
    try:
        await cam.update_xaddrs()
        assert cam.xaddrs["http://www.onvif.org/ver20/media/wsdl"] == f"{dev.base_url}/onvif/media2_service"
        info = await (await cam.create_devicemgmt_service()).GetDeviceInformation()
        assert info.SerialNumber == dev.serial_number and info.Manufacturer == dev.manufacturer
        media = await cam.create_media_service()
        profiles = await media.GetProfiles()
        assert [
            (
                p.token,
                p.VideoEncoderConfiguration.Resolution.Width,
                p.VideoEncoderConfiguration.RateControl.FrameRateLimit,
            )
            for p in profiles
        ] == [("Profile_1", 1920, 25), ("Profile_2", 640, 15)]
        uri = await media.GetStreamUri(
            {
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                "ProfileToken": "Profile_2",
            }
        )
        assert uri.Uri == f"rtsp://127.0.0.1:{dev.port}/Profile_2"
    finally:
        await cam.close()


async def test_the_real_client_pulls_alarms_through_its_pullpoint_manager(fleet: Fleet) -> None:
    dev = fleet.devices["d2"]
    cam = camera(dev)
    lost: list[bool] = []
    try:
        await cam.update_xaddrs()
        manager = await cam.create_pullpoint_manager(timedelta(seconds=60), lambda: lost.append(True))
        service = manager.get_service()
        first = await service.PullMessages({"Timeout": timedelta(seconds=1), "MessageLimit": 100})
        assert len(first.NotificationMessage) == 5  # the initial state of each property
        async with httpx.AsyncClient() as control:
            fleet_control = web.AppRunner(control_app(fleet))
            await fleet_control.setup()
            port = free_port()
            site = web.TCPSite(fleet_control, "127.0.0.1", port)
            await site.start()
            try:
                r = await control.post(
                    f"http://127.0.0.1:{port}/devices/d2/alarms", json={"kind": "storage_failure"}
                )
                assert r.status_code == 202 and r.json() == {"delivered_to_pull_points": 1}
                bad = await control.post(f"http://127.0.0.1:{port}/devices/d2/alarms", json={"kind": "fire"})
                assert bad.status_code == 422
            finally:
                await fleet_control.cleanup()
        second = await service.PullMessages({"Timeout": timedelta(seconds=5), "MessageLimit": 100})
        [message] = second.NotificationMessage
        assert message.Topic._value_1 == "tns1:Device/HardwareFailure/StorageFailure"
        await manager.shutdown()
        assert dev.event_source.pull_points == {}  # the manager unsubscribed
        assert lost == []
    finally:
        await cam.close()


async def test_the_real_client_reads_a_recording_index(fleet: Fleet) -> None:
    dev = fleet.devices["d1"]
    await fleet.update("d1", {"recordings": [{"days": 40, "gaps": [[5, 4.5]]}, {"days": 10}]})
    cam = camera(dev)
    try:
        await cam.update_xaddrs()
        search = await cam.create_search_service()
        summary = await search.GetRecordingSummary()
        assert summary.NumberRecordings == 2
        token = await search.FindRecordings({"Scope": {}, "KeepAliveTime": timedelta(seconds=10)})
        results = await search.GetRecordingSearchResults(
            {"SearchToken": token, "WaitTime": timedelta(seconds=1)}
        )
        assert results.SearchState == "Completed"
        assert [r.RecordingToken for r in results.RecordingInformation] == ["Recording_1", "Recording_2"]
        assert results.RecordingInformation[0].Track[0].DataFrom < summary.DataUntil - timedelta(days=39)
        await search.EndSearch({"SearchToken": token})
        recordings = await (await cam.create_recording_service()).GetRecordings()
        assert [r.Configuration.MaximumRetentionTime for r in recordings] == [timedelta(days=30)] * 2
    finally:
        await cam.close()


async def test_media2_over_http_with_digest(fleet: Fleet, schema: etree.XMLSchema) -> None:
    dev = fleet.devices["d1"]
    r = await post(dev, "/onvif/media2_service", signed(f'<tr2:GetProfiles xmlns:tr2="{NS["tr2"]}"/>'))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/soap+xml")
    body = etree.fromstring(r.content).find("env:Body", NS)[0]
    assert_valid(schema, body)
    assert [p.get("token") for p in body] == ["Profile_1", "Profile_2"]


async def test_wrong_password_replay_and_stale_timestamp_are_refused(
    fleet: Fleet, schema: etree.XMLSchema
) -> None:
    dev = fleet.devices["d0"]
    cam = camera(dev, password="guess")
    try:
        with pytest.raises(zeep.exceptions.Fault) as info:
            await (await cam.create_devicemgmt_service()).GetDeviceInformation()
        assert "NotAuthorized" in str(info.value.subcodes) or "not Authorized" in str(info.value)
    finally:
        await cam.close()
    body = f'<tds:GetDeviceInformation xmlns:tds="{NS["tds"]}"/>'
    once = signed(body, nonce=b"0123456789abcdef")
    assert (await post(dev, "/onvif/device_service", once)).status_code == 200
    replay = await post(dev, "/onvif/device_service", once)
    assert replay.status_code == 400 and b"ter:NotAuthorized" in replay.content
    assert_valid(schema, etree.fromstring(replay.content))
    stale = await post(
        dev, "/onvif/device_service", signed(body, created=datetime.now(UTC) - timedelta(minutes=20))
    )
    assert stale.status_code == 400
    # Without any token: only the pre-authentication operations answer.
    bare = f'<env:Envelope xmlns:env="{NS["env"]}"><env:Body>{body}</env:Body></env:Envelope>'.encode()
    assert (await post(dev, "/onvif/device_service", bare)).status_code == 400
    clock = (
        f'<env:Envelope xmlns:env="{NS["env"]}"><env:Body>'
        f'<tds:GetSystemDateAndTime xmlns:tds="{NS["tds"]}"/></env:Body></env:Envelope>'
    )
    assert (await post(dev, "/onvif/device_service", clock.encode())).status_code == 200


async def test_offline_refuses_connections_then_comes_back_on_the_same_port(fleet: Fleet) -> None:
    dev = fleet.devices["d2"]
    port = dev.port
    await fleet.update("d2", {"offline": True})
    with pytest.raises(httpx.ConnectError):
        await post(
            dev, "/onvif/device_service", signed(f'<tds:GetDeviceInformation xmlns:tds="{NS["tds"]}"/>')
        )
    await fleet.update("d2", {"offline": False})
    assert dev.port == port
    r = await post(
        dev, "/onvif/device_service", signed(f'<tds:GetDeviceInformation xmlns:tds="{NS["tds"]}"/>')
    )
    assert r.status_code == 200


async def test_slow_hanging_malformed_faulting(fleet: Fleet) -> None:
    dev = fleet.devices["d0"]
    body = f'<tds:GetDeviceInformation xmlns:tds="{NS["tds"]}"/>'
    await fleet.update("d0", {"slow_s": 0.5})
    started = time.perf_counter()
    assert (await post(dev, "/onvif/device_service", signed(body))).status_code == 200
    assert time.perf_counter() - started >= 0.5
    await fleet.update("d0", {"slow_s": 0.0, "hanging": True})
    with pytest.raises(httpx.ReadTimeout):
        await post(dev, "/onvif/device_service", signed(body), timeout=0.5)
    await fleet.update("d0", {"hanging": False, "malformed": True})
    r = await post(dev, "/onvif/device_service", signed(body))
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(r.content)
    await fleet.update("d0", {"malformed": False, "faulting": True})
    r = await post(dev, "/onvif/device_service", signed(body))
    assert r.status_code == 500 and b"env:Receiver" in r.content


async def test_clock_skew_is_visible_and_only_adjusted_clients_get_in(fleet: Fleet) -> None:
    dev = fleet.devices["d1"]
    await fleet.update("d1", {"clock_skew_s": 3600.0})
    plain, adjusted = camera(dev), camera(dev, adjust_time=True)
    try:
        dm = await plain.create_devicemgmt_service()
        clock = await dm.GetSystemDateAndTime()
        device_time = datetime(
            clock.UTCDateTime.Date.Year,
            clock.UTCDateTime.Date.Month,
            clock.UTCDateTime.Date.Day,
            clock.UTCDateTime.Time.Hour,
            clock.UTCDateTime.Time.Minute,
            clock.UTCDateTime.Time.Second,
            tzinfo=UTC,
        )
        assert abs((device_time - datetime.now(UTC)).total_seconds() - 3600) < 5
        with pytest.raises(zeep.exceptions.Fault):
            await dm.GetDeviceInformation()
        await adjusted.update_xaddrs()
        info = await (await adjusted.create_devicemgmt_service()).GetDeviceInformation()
        assert info.SerialNumber == dev.serial_number
    finally:
        await plain.close()
        await adjusted.close()


async def test_control_api_replaces_a_device(fleet: Fleet) -> None:
    runner = web.AppRunner(control_app(fleet))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as s:
            before = await (await s.get("/devices/d2")).json()
            after = await (await s.patch("/devices/d2", json={"replace": True, "slow_s": 0.1})).json()
            bad = await s.patch("/devices/d2", json={"teleport": True})
            listed = await (await s.get("/devices")).json()
        assert after["serial_number"] != before["serial_number"] and after["behaviour"]["slow_s"] == 0.1
        assert bad.status == 422
        assert len(listed) == 3 and all("password" in d for d in listed)
    finally:
        await runner.cleanup()


async def test_control_api_turns_a_ptz_camera_changes_a_stream_and_raises_a_scene_change(
    fleet: Fleet,
) -> None:
    """What tests in other processes do to a camera: give it a PTZ head, turn it away from its
    preset and back, change a stream's codec, raise and clear a scene-change alarm."""
    runner = web.AppRunner(control_app(fleet))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as s:
            head = {"presets": [{"token": "7", "name": "收银台", "pan": 0.1, "tilt": 0.2, "zoom": 0.3}]}
            dome = await (await s.patch("/devices/d0", json={"ptz": head})).json()
            assert dome["ptz"]["pan"] == 0.1 and dome["ptz"]["presets"][0]["token"] == "7"
            turned = await (await s.patch("/devices/d0", json={"ptz_position": {"pan": -0.6}})).json()
            assert (turned["ptz"]["pan"], turned["ptz"]["tilt"]) == (-0.6, 0.2)
            back = await (await s.patch("/devices/d0", json={"ptz_position": {"preset": "7"}})).json()
            assert back["ptz"]["pan"] == 0.1
            for bad in ({"ptz_position": {"pan": 3}}, {"ptz_position": {"preset": "9"}}, {"ptz": "dome"}):
                assert (await s.patch("/devices/d0", json=bad)).status == 422, bad
            assert (await s.patch("/devices/d1", json={"ptz_position": {"pan": 0}})).status == 422  # fixed
            recoded = await s.patch(
                "/devices/d1", json={"stream": {"token": "Profile_1", "encoding": "H265"}}
            )
            assert (await recoded.json())["profiles"][0]["encoding"] == "H265"
            assert (await s.patch("/devices/d1", json={"stream": {"token": "nope", "fps": 5}})).status == 422
            raised = await s.post("/devices/d2/alarms", json={"kind": "scene_change"})
            assert raised.status == 202
        assert fleet.devices["d2"].event_source.states[("scene_change", "VideoSource_1")] is True
    finally:
        await runner.cleanup()


async def test_one_process_serves_a_thousand_devices() -> None:
    f = Fleet()
    await f.start(SimDevice(f"m{i}", password=PASSWORD, behaviour=Behaviour()) for i in range(1000))
    try:
        devices = list(f.devices.values())
        sample = devices[::97]

        async def ask(dev: SimDevice) -> bytes:
            r = await post(
                dev, "/onvif/device_service", signed(f'<tds:GetDeviceInformation xmlns:tds="{NS["tds"]}"/>')
            )
            return etree.fromstring(r.content).findtext(".//tds:SerialNumber", namespaces=NS).encode()

        serials = await asyncio.gather(*(ask(d) for d in sample))
        assert [s.decode() for s in serials] == [d.serial_number for d in sample]
        assert len({d.port for d in devices}) == 1000
    finally:
        await f.stop()


async def test_the_real_client_falls_back_to_get_capabilities_on_old_devices() -> None:
    f = Fleet()
    await f.start([SimDevice("old", password=PASSWORD, media2=False, get_services=False)])
    dev = f.devices["old"]
    cam = camera(dev)
    try:
        await cam.update_xaddrs()
        assert cam.xaddrs["http://www.onvif.org/ver10/media/wsdl"] == f"{dev.base_url}/onvif/media_service"
        assert "http://www.onvif.org/ver20/media/wsdl" not in cam.xaddrs
        media = await cam.create_media_service()
        assert len(await media.GetProfiles()) == 2
    finally:
        await cam.close()
        await f.stop()
