"""The lean client reads a recorder's index (Profile G): summary, paged searches always
ended, the retention setting, and the gaps seen as RecordingHistory events. Every request
it writes is valid against the official schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from lxml import etree

from jifang.onvif import OnvifClient, OnvifTimeout
from jifang.onvif.search import (
    find_recordings,
    get_recording_information,
    get_recording_summary,
    get_recordings,
    has_profile_g,
    recording_history,
)
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.jifang.onvif.conftest import SentEnvelopes

PASSWORD = "pw"


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    f = Fleet()
    await f.start([SimDevice("nvr", kind="nvr", password=PASSWORD), SimDevice("cam", password=PASSWORD)])
    await f.update(
        "nvr",
        {
            "recordings": [
                {"days": 40, "gaps": [[5, 4.5]]},
                {"days": 10, "max_retention_days": 7},
                {"days": 20, "status": "Stopped"},
            ]
        },
    )
    yield f
    await f.stop()


async def connected(dev: SimDevice) -> OnvifClient:
    c = OnvifClient(f"{dev.base_url}/onvif/device_service", dev.username, PASSWORD, timeout_s=2)
    await c.get_system_date_and_time()
    await c.get_services()
    return c


async def test_the_index_of_a_recorder(fleet: Fleet, schema: etree.XMLSchema, sent: SentEnvelopes) -> None:
    nvr = fleet.devices["nvr"]
    c = await connected(nvr)
    assert not has_profile_g(await connected(fleet.devices["cam"]))  # a camera without storage
    assert has_profile_g(c)
    sent.clear()  # from here on, the Profile G requests
    now = nvr.now()
    summary = await get_recording_summary(c)
    assert summary.number_recordings == 3
    assert abs(summary.data_from - (now - timedelta(days=40))) < timedelta(seconds=3)

    found = await find_recordings(c, page=1)  # one per page: three pages and the end
    assert [r.token for r in found] == ["Recording_1", "Recording_2", "Recording_3"]
    assert [r.status for r in found] == ["Recording", "Recording", "Stopped"]
    video = found[1].tracks[0]
    assert video.track_type == "Video" and abs(
        (video.data_to - video.data_from) - timedelta(days=10)
    ) < timedelta(seconds=3)
    assert nvr.recordings is not None and nvr.recordings.searches_ended == 1 and nvr.recordings.searches == {}
    assert (await get_recording_information(c, "Recording_3")).status == "Stopped"
    settings = {s.token: s.max_retention for s in await get_recordings(c)}
    assert settings == {
        "Recording_1": timedelta(days=30),
        "Recording_2": timedelta(days=7),
        "Recording_3": timedelta(days=30),
    }

    history = await recording_history(c, "Recording_1", now - timedelta(days=41))
    assert [(e.present, e.start_state) for e in history] == [
        (False, True),
        (True, False),
        (False, False),
        (True, False),
    ]
    gap = history[3].at - history[2].at
    assert abs(gap - timedelta(hours=12)) < timedelta(seconds=3)
    assert nvr.recordings.searches_ended == 2

    # Summary; FindRecordings, three pages, EndSearch; information; GetRecordings; FindEvents,
    # one page, EndSearch.
    assert len(sent) == 11
    sent.assert_valid(schema)
    c.close()


async def test_a_stuck_search_times_out_and_is_still_ended(fleet: Fleet) -> None:
    nvr = fleet.devices["nvr"]
    await fleet.update("nvr", {"search_hangs": True})
    c = await connected(nvr)
    with pytest.raises(OnvifTimeout):
        await find_recordings(c, deadline_s=2)
    assert nvr.recordings is not None and nvr.recordings.searches_ended == 1 and nvr.recordings.searches == {}
    c.close()
