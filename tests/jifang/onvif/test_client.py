"""The lean ONVIF client against the simulator: what it reads, how it classifies failures,
and that every request it writes is valid against the official ONVIF schemas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from lxml import etree

from jifang.addresses import credential_in, strip_credentials
from jifang.onvif import (
    OnvifClient,
    OnvifFault,
    OnvifMalformed,
    OnvifNotAuthorized,
    OnvifTimeout,
    OnvifUnreachable,
    PtzVector,
)
from simulator.device import SimDevice, StreamProfile
from simulator.server import Fleet
from tests.jifang.onvif.conftest import SentEnvelopes

PASSWORD = "s3cret"


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start(
        [
            SimDevice("m2", password=PASSWORD),
            SimDevice(
                "m1",
                password=PASSWORD,
                media2=False,
                profiles=[
                    StreamProfile("P", "only", width=1280, height=720, fps=12, bitrate_kbps=1024, gop=24)
                ],
            ),
        ]
    )
    yield f
    await f.stop()


def client(dev: SimDevice, password: str = PASSWORD, timeout_s: float = 2) -> OnvifClient:
    return OnvifClient(f"{dev.base_url}/onvif/device_service", "admin", password, timeout_s=timeout_s)


async def test_reads_a_media2_device(fleet: Fleet) -> None:
    dev = fleet.devices["m2"]
    c = client(dev)
    device_now = await c.get_system_date_and_time()
    assert abs((device_now - datetime.now(UTC)).total_seconds()) < 3
    info = await c.get_device_information()
    assert (info.serial_number, info.manufacturer) == (dev.serial_number, dev.manufacturer)
    await c.get_services()
    assert c.has_media2
    profiles = await c.get_profiles()
    assert [(p.token, p.encoding, p.width, p.height, p.fps, p.bitrate_kbps, p.gop) for p in profiles] == [
        ("Profile_1", "H264", 1920, 1080, 25.0, 4096, 50),
        ("Profile_2", "H264", 640, 360, 15.0, 512, 30),
    ]
    assert await c.get_stream_uri("Profile_1") == f"rtsp://127.0.0.1:{dev.port}/Profile_1"
    sources = await c.get_video_sources()
    assert [(s.token, s.width, s.fps) for s in sources] == [("VideoSource_1", 1920, 25.0)]


async def test_falls_back_to_media1(fleet: Fleet) -> None:
    c = client(fleet.devices["m1"])
    await c.get_services()
    assert not c.has_media2
    (p,) = await c.get_profiles()
    assert (p.token, p.width, p.height, p.fps, p.bitrate_kbps, p.gop) == ("P", 1280, 720, 12.0, 1024, 24)


@pytest.mark.parametrize(
    ("change", "error", "result"),
    [
        ({"offline": True}, OnvifUnreachable, "unreachable"),
        ({"hanging": True}, OnvifTimeout, "timeout"),
        ({"password": "rotated"}, OnvifNotAuthorized, "auth_failure"),
        ({"malformed": True}, OnvifMalformed, "malformed"),
        ({"faulting": True}, OnvifFault, "soap_fault"),
    ],
)
async def test_failures_are_classified(
    fleet: Fleet,
    change: dict[str, object],
    error: type[Exception],
    result: str,
) -> None:
    await fleet.update("m2", change)
    c = client(fleet.devices["m2"], timeout_s=0.5)
    with pytest.raises(error) as info:
        await c.get_device_information()
    assert info.value.result == result  # type: ignore[attr-defined]


async def test_clock_skew_is_measured_and_compensated(fleet: Fleet) -> None:
    await fleet.update("m2", {"clock_skew_s": -1800.0})
    c = client(fleet.devices["m2"])
    with pytest.raises(OnvifNotAuthorized):
        await c.get_device_information()  # our clock is 30 min ahead of the device's
    await c.get_system_date_and_time()
    assert -1805 < c.clock_offset.total_seconds() < -1795
    assert (await c.get_device_information()).serial_number == fleet.devices["m2"].serial_number


async def test_every_request_is_schema_valid(
    fleet: Fleet, schema: etree.XMLSchema, sent: SentEnvelopes
) -> None:
    for dev_id in ("m2", "m1"):
        c = client(fleet.devices[dev_id])
        await c.get_system_date_and_time()
        await c.get_device_information()
        await c.get_services()
        for p in await c.get_profiles():
            await c.get_stream_uri(p.token)
        await c.get_video_sources()
        sub = await c.create_pull_point(60)
        await c.pull_messages(sub.address, 0, 10)
        await c.renew(sub.address, 60)
        await c.unsubscribe(sub.address)
    await fleet.update("m2", {"ptz": {}})
    c = client(fleet.devices["m2"])
    await c.get_services()
    await c.get_presets("Profile_1")
    await c.get_ptz_status("Profile_1")
    assert len(sent) == 24  # m2: 7 calls (2 profiles), m1: 6 (1 profile), 4 event calls each; 3 PTZ
    sent.assert_valid(schema)


def test_stream_uris_lose_their_credentials() -> None:
    """Where cameras put them: the userinfo (every vendor), the query (Hikvision's username and
    password, CGI cameras' usr and pwd, P2P cameras' loginuse and loginpas, in any case), the
    path itself (Xiongmai); other parameters stay, with their separators."""
    for given, published in (
        ("rtsp://admin:pw@10.0.0.5:554/ch1?x=1", "rtsp://10.0.0.5:554/ch1?x=1"),
        ("rtsp://10.0.0.5/ch1", "rtsp://10.0.0.5/ch1"),
        (
            "rtsp://10.0.0.5/Streaming/Channels/101?transportmode=unicast&username=admin&password=pw",
            "rtsp://10.0.0.5/Streaming/Channels/101?transportmode=unicast",
        ),
        (
            "rtsp://10.0.0.5/cam/realmonitor?channel=1&User=a&PWD=b&subtype=0",
            "rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0",
        ),
        ("rtsp://10.0.0.5/live?loginuse=admin&loginpas=pw", "rtsp://10.0.0.5/live"),
        (
            "rtsp://10.0.0.5/user=admin&password=pw&channel=1&stream=0.sdp",
            "rtsp://10.0.0.5/channel=1&stream=0.sdp",
        ),
        ("rtsp://10.0.0.5/live;user=a;codec=h264", "rtsp://10.0.0.5/live;codec=h264"),
    ):
        assert strip_credentials(given) == published, given
        assert credential_in(published) is None
    assert credential_in("rtsp://10.0.0.5/a?passwd=x") == "query parameter 'passwd'"
    assert credential_in("rtsp://u@10.0.0.5/a") == "userinfo"
    assert credential_in("rtsp://10.0.0.5/a?user") is None  # a flag, not a credential


async def test_old_devices_are_read_through_get_capabilities() -> None:
    fleet = Fleet()
    await fleet.start([SimDevice("old", password=PASSWORD, media2=False, get_services=False, events=False)])
    dev = fleet.devices["old"]
    c = client(dev)
    try:
        xaddrs = await c.get_services()
        assert xaddrs == {
            "http://www.onvif.org/ver10/device/wsdl": f"{dev.base_url}/onvif/device_service",
            "http://www.onvif.org/ver10/media/wsdl": f"{dev.base_url}/onvif/media_service",
        }
        assert not c.has_media2
        assert c.has_events is False
        assert [p.token for p in await c.get_profiles()] == ["Profile_1", "Profile_2"]
    finally:
        c.close()
        await fleet.stop()


async def test_pull_point_subscription_delivers_alarms(fleet: Fleet) -> None:
    dev = fleet.devices["m2"]
    c = client(dev)
    await c.get_services()
    assert c.has_events
    sub = await c.create_pull_point(30)
    assert sub.address.startswith(dev.base_url) and "?Idx=" in sub.address
    assert 25 <= (sub.termination_time - sub.current_time).total_seconds() <= 30
    initial = await c.pull_messages(sub.address, 1, 100)
    assert {(m.topic, m.operation) for m in initial.messages} == {
        ("RuleEngine/CellMotionDetector/Motion", "Initialized"),
        ("RuleEngine/TamperDetector/Tamper", "Initialized"),
        ("VideoSource/GlobalSceneChange/ImagingService", "Initialized"),
        ("VideoSource/SignalLoss", "Initialized"),
        ("Device/HardwareFailure/StorageFailure", "Initialized"),
    }
    waiting = asyncio.create_task(c.pull_messages(sub.address, 20, 100))
    await asyncio.sleep(0.2)
    dev.raise_alarm("motion", True)
    result = await asyncio.wait_for(waiting, 5)  # the long poll ends with the alarm, not after 20 s
    [motion] = result.messages
    assert motion.topic == "RuleEngine/CellMotionDetector/Motion"
    assert motion.operation == "Changed"
    assert motion.source == {"VideoSourceConfigurationToken": "VSC_VideoSource_1"}
    assert motion.data == {"IsMotion": "true"}
    assert motion.utc_time is not None and abs((motion.utc_time - datetime.now(UTC)).total_seconds()) < 5
    await c.unsubscribe(sub.address)
    with pytest.raises(OnvifFault) as info:
        await c.pull_messages(sub.address, 0, 10)
    assert info.value.subcode == "wsrf-rw:ResourceUnknownFault"
    c.close()


async def test_old_devices_announce_events_in_their_capabilities() -> None:
    fleet = Fleet()
    await fleet.start([SimDevice("old-ev", password=PASSWORD, get_services=False)])
    c = client(fleet.devices["old-ev"])
    try:
        await c.get_services()
        assert c.has_events
        sub = await c.create_pull_point(10)
        assert len((await c.pull_messages(sub.address, 0, 100)).messages) == 5
    finally:
        c.close()
        await fleet.stop()


GENERIC = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
GENERIC_ZOOM = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"


async def test_reads_a_ptz_head_and_its_presets(fleet: Fleet) -> None:
    """A PTZ camera lists the PTZ service; its profiles carry the PTZ configuration; its
    presets and its head's position are read in the generic spaces. A fixed camera has none."""
    c = client(fleet.devices["m1"])
    await c.get_services()
    assert not c.has_ptz and not any(p.ptz for p in await c.get_profiles())
    await fleet.update(
        "m2",
        {"ptz": {"presets": [{"token": "1", "name": "大门", "pan": 0.25, "tilt": -0.5, "zoom": 0.1}]}},
    )
    await fleet.update("m2", {"ptz_position": {"pan": 0.75, "moving": True}})
    c = client(fleet.devices["m2"])
    await c.get_services()
    assert c.has_ptz and all(p.ptz for p in await c.get_profiles())
    [preset] = await c.get_presets("Profile_1")
    assert (preset.token, preset.name) == ("1", "大门")
    assert preset.position == PtzVector(0.25, -0.5, 0.1, GENERIC, GENERIC_ZOOM)
    status = await c.get_ptz_status("Profile_1")
    assert status.position == PtzVector(0.75, -0.5, 0.1, GENERIC, GENERIC_ZOOM) and status.moving
    await fleet.update("m2", {"ptz": {"dialect": "status_fault", "presets": []}})
    assert await c.get_presets("Profile_1") == []
    with pytest.raises(OnvifFault) as info:
        await c.get_ptz_status("Profile_1")
    assert info.value.subcode == "ter:ActionNotSupported"
    c.close()


async def test_old_ptz_cameras_announce_ptz_in_their_capabilities() -> None:
    fleet = Fleet()
    await fleet.start([SimDevice("old-ptz", password=PASSWORD, media2=False, get_services=False)])
    await fleet.update("old-ptz", {"ptz": {}})
    c = client(fleet.devices["old-ptz"])
    try:
        await c.get_services()
        assert c.has_ptz
        assert (await c.get_ptz_status("Profile_1")).position == PtzVector(
            0.0, 0.0, 0.0, GENERIC, GENERIC_ZOOM
        )
    finally:
        c.close()
        await fleet.stop()
