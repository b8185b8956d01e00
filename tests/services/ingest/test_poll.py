"""A poll against the simulator: every call timed and classified, and what the state
derivation makes of a device that goes away and comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jifang.onvif import OnvifClient
from jifang.policy import load_policy_book
from services.ingest.poll import CallTimeouts, poll_device
from services.ingest.state import DeviceState, derive
from simulator.device import SimDevice
from simulator.server import Fleet

FAST = CallTimeouts(
    clock=0.5, info=0.5, services=0.5, profiles=0.5, stream_uri=0.5, video_sources=0.5, ptz=0.5
)


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start([SimDevice("cam", password="pw")])
    yield f
    await f.stop()


def client_for(fleet: Fleet) -> OnvifClient:
    return OnvifClient(f"{fleet.devices['cam'].base_url}/onvif/device_service", "admin", "pw")


async def test_a_full_poll(fleet: Fleet) -> None:
    c = client_for(fleet)
    report = await poll_device(c, refresh_services=True, timeouts=FAST)
    assert report.ok and report.reachable and report.media2
    assert [x.operation for x in report.calls] == [
        "GetSystemDateAndTime",
        "GetDeviceInformation",
        "GetServices",
        "GetProfiles",
        "GetStreamUri",
        "GetStreamUri",
        "GetVideoSources",
    ]
    assert all(x.result == "ok" and 0 < x.latency_ms < 500 for x in report.calls)
    assert report.info is not None and report.info.serial_number == fleet.devices["cam"].serial_number
    assert set(report.stream_uris) == {"Profile_1", "Profile_2"}
    assert abs(report.clock_drift_s or 99) < 2
    again = await poll_device(c, refresh_services=False, timeouts=FAST)
    assert "GetServices" not in [x.operation for x in again.calls]  # services are refreshed only now and then
    c.close()


@pytest.mark.parametrize(
    ("change", "result", "calls", "reachable"),
    [
        ({"offline": True}, "unreachable", 1, False),
        ({"hanging": True}, "timeout", 1, False),
        ({"password": "rotated"}, "auth_failure", 2, True),  # the clock answers without credentials
        ({"faulting": True}, "soap_fault", 2, True),
    ],
)
async def test_a_failing_device_ends_the_poll_at_its_first_failure(
    fleet: Fleet, change: dict[str, object], result: str, calls: int, reachable: bool
) -> None:
    await fleet.update("cam", change)
    c = client_for(fleet)
    report = await poll_device(c, refresh_services=True, timeouts=FAST)
    assert (report.result, len(report.calls), report.reachable) == (result, calls, reachable)
    assert report.calls[-1].result == result
    c.close()


async def test_outage_and_replacement_end_to_end(fleet: Fleet) -> None:
    pack = load_policy_book()["harbin-2008"]
    c = client_for(fleet)
    state, changes = DeviceState(), []

    async def poll() -> None:
        nonlocal state
        report = await poll_device(c, refresh_services=False, timeouts=FAST)
        state, new = derive(pack, state, report.outcome())
        changes.extend(new)

    await poll()
    await fleet.update("cam", {"offline": True})
    for _ in range(3):
        await poll()
    await fleet.update("cam", {"offline": False, "replace": True})
    await poll()
    assert [ch.kind for ch in changes] == ["went_offline", "came_back", "replaced"]
    back = changes[1]
    assert back.data["outage_seconds"] > 0 and back.articles == ("HRB-2008 art. 20(5)",)
    assert changes[2].data["new_serial_number"] == fleet.devices["cam"].serial_number
    c.close()


async def test_a_ptz_camera_is_read_against_its_registered_preset(fleet: Fleet) -> None:
    """A camera that offers PTZ, with a preset registered: its preset and its head are read
    (GetPresets, GetStatus) after the poll's own calls; away from the preset poll after poll it
    is a suspected change of position (HRB art. 20(6) "不得擅自改变技防系统用途、位置和范围")."""
    await fleet.update("cam", {"ptz": {"presets": [{"token": "1", "pan": 0.2, "tilt": 0.1, "zoom": 0.0}]}})
    c = client_for(fleet)
    report = await poll_device(c, refresh_services=True, timeouts=FAST, ptz_preset="1")
    assert report.ok and [x.operation for x in report.calls][-2:] == ["GetPresets", "GetStatus"]
    assert report.ptz is not None and report.ptz.position == report.ptz.preset  # at rest on the preset
    await fleet.update("cam", {"ptz_position": {"pan": -0.7}})
    pack = load_policy_book()["harbin-2008"]
    state, changes = DeviceState(), []
    for _ in range(int(pack.default("ptz_away_polls"))):
        report = await poll_device(c, refresh_services=False, timeouts=FAST, ptz_preset="1")
        state, new = derive(pack, state, report.outcome())
        changes.extend(new)
    [moved] = changes
    assert moved.kind == "position_changed" and moved.articles == ("HRB-2008 art. 20(6)",)
    assert moved.data["offset"] == pytest.approx(0.9)
    c.close()


@pytest.mark.parametrize(
    ("ptz", "preset", "extra_calls"),
    [
        (None, "1", []),  # a fixed camera: no PTZ service, no PTZ call
        ({}, None, []),  # no preset registered: its position is not judged
        ({}, "9", [("GetPresets", "ok")]),  # a preset the camera does not know
        ({"presets": []}, "1", [("GetPresets", "ok")]),  # a camera that keeps no presets
        ({"dialect": "status_fault"}, "1", [("GetPresets", "ok"), ("GetStatus", "soap_fault")]),
    ],
)
async def test_a_camera_whose_position_cannot_be_read_polls_fine(
    fleet: Fleet, ptz: dict[str, object] | None, preset: str | None, extra_calls: list[tuple[str, str]]
) -> None:
    """No PTZ, no preset, or a firmware that faults on GetStatus: the PTZ part is skipped (the
    faulting call timed and recorded), and the poll's other results stand."""
    await fleet.update("cam", {"ptz": ptz})
    c = client_for(fleet)
    report = await poll_device(c, refresh_services=True, timeouts=FAST, ptz_preset=preset)
    assert report.ok and report.ptz is None and report.info is not None and report.video_sources
    assert [(x.operation, x.result) for x in report.calls][7:] == extra_calls
    c.close()
