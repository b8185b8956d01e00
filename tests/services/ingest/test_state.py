"""Derived device state: outages with their length, replacements, configuration changes,
changes of position (a video source, a PTZ head away from its preset, a scene change that
persists), image quality and clock drift, each citing the pack's articles."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jifang.onvif import Profile, PtzVector, VideoSource
from jifang.policy import load_policy_book
from services.ingest.state import DeviceState, PollOutcome, PtzReading, RaisedAlarm, derive, ptz_offset

BOOK = load_policy_book()
HRB, KMG = BOOK["harbin-2008"], BOOK["kunming-2012"]
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MAIN = Profile("P1", "main", "H264", 1920, 1080, 25.0, 4096, 50, "VS1")
SUB = Profile("P2", "sub", "H264", 640, 360, 15.0, 512, 30, "VS1")


def ok(minute: int, **kw: object) -> PollOutcome:
    fields: dict[str, object] = {"serial_number": "SN1", "profiles": (MAIN, SUB), "clock_drift_s": 0.5}
    fields.update(kw)
    return PollOutcome(at=T0 + timedelta(minutes=minute), ok=True, result="ok", **fields)  # type: ignore[arg-type]


def fail(minute: int, result: str = "timeout") -> PollOutcome:
    return PollOutcome(at=T0 + timedelta(minutes=minute), ok=False, result=result)


def run(pack, polls):  # type: ignore[no-untyped-def]
    state, all_changes = DeviceState(), []
    for p in polls:
        state, changes = derive(pack, state, p)
        all_changes.extend(changes)
    return state, all_changes


def test_offline_after_three_failures_and_back_with_the_outage_length() -> None:
    state, changes = run(HRB, [ok(0), fail(1), fail(2)])
    assert changes == [] and state.online is True  # two failures are not an outage yet
    state, changes = run(HRB, [ok(0), fail(1), fail(2), fail(3), fail(4), ok(10)])
    assert [c.kind for c in changes] == ["went_offline", "came_back"]
    offline, back = changes
    assert offline.articles == ("HRB-2008 art. 20(5)",)
    assert offline.data["since"] == T0 + timedelta(minutes=1) and offline.data["failed_polls"] == 3
    assert back.data["outage_start"] == T0 + timedelta(minutes=1)
    assert back.data["outage_end"] == T0 + timedelta(minutes=10)
    assert back.data["outage_seconds"] == 540
    _, changes = run(KMG, [ok(0), fail(1), fail(2), fail(3)])
    assert changes[0].articles == ("KMG-2012 art. 19",)


def test_a_device_that_never_answered_goes_offline_once() -> None:
    _, changes = run(HRB, [fail(i) for i in range(10)])
    assert [c.kind for c in changes] == ["went_offline"]


def test_replacement_and_configuration_change() -> None:
    """A replaced device, or a changed codec, bitrate or resolution, is maintenance (KMG art.
    20(2): "发生故障应当及时排除"): recorded, but no breach of HRB art. 20(6) "不得擅自改变技防系统
    用途、位置和范围" / KMG art. 21(4) "不得擅自改变公共安全语音图像信息系统的用途和摄像设备的位置".
    A different video source is what the device itself shows of a changed position or scope: a
    suspicion citing them, for an officer."""
    lower = replace(MAIN, width=1280, height=720, fps=20.0)
    _, changes = run(
        HRB, [ok(0), ok(1, serial_number="SN2"), ok(2, serial_number="SN2", profiles=(lower, SUB))]
    )
    assert [(c.kind, c.articles) for c in changes] == [("replaced", ()), ("configuration_changed", ())]
    assert changes[0].data == {"old_serial_number": "SN1", "new_serial_number": "SN2"}
    assert changes[1].data["changes"] == ["P1 resolution 1920x1080 -> 1280x720", "P1 frame rate 25 -> 20"]
    _, changes = run(KMG, [ok(0), ok(1, profiles=(MAIN,))])
    assert changes[0].data["changes"] == ["profile P2 removed"]
    assert changes[0].articles == ()
    sources = (VideoSource("VS1", 1920, 1080, 25.0),)
    _, changes = run(
        HRB, [ok(0, video_sources=sources), ok(1, video_sources=(VideoSource("VS9", 1920, 1080, 25.0),))]
    )
    assert [(c.kind, c.data) for c in changes] == [
        ("position_changed", {"reason": "video_source_changed", "changes": ["video sources changed"]})
    ]
    assert changes[0].articles == ("HRB-2008 art. 20(6)",)
    assert HRB.is_suspicion("purpose_position_changed") and KMG.is_suspicion("purpose_position_changed")
    moved = replace(MAIN, source_token="VS9", bitrate_kbps=2048)
    _, changes = run(KMG, [ok(0), ok(1, profiles=(moved, SUB))])
    # The bitrate is maintenance, the video source a suspicion: two records of one poll.
    assert [(c.kind, c.articles, c.data["changes"]) for c in changes] == [
        ("configuration_changed", (), ["P1 bitrate 4096 -> 2048 kbps"]),
        ("position_changed", ("KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)"), ["P1 video source VS1 -> VS9"]),
    ]
    # A new device explains another configuration, the names of its video sources included.
    _, changes = run(HRB, [ok(0), ok(1, serial_number="SN2", profiles=(moved, SUB))])
    assert [(c.kind, c.articles) for c in changes] == [("replaced", ()), ("configuration_changed", ())]


def test_image_quality_floor_is_kunmings_rule() -> None:
    poor = replace(MAIN, width=1280, height=720, fps=10.0)
    _, changes = run(KMG, [ok(0, profiles=(poor, SUB)), ok(1, profiles=(poor, SUB))])
    assert [(c.kind, c.articles) for c in changes] == [("quality_below_floor", ("KMG-2012 art. 20(3)",))]
    assert changes[0].data["fps"] == 10.0 and changes[0].data["min_fps"] == 15.0  # reported once
    _, changes = run(KMG, [ok(0)])  # a low sub-stream beside a good main stream is fine
    assert changes == []
    _, changes = run(HRB, [ok(0, profiles=(poor,))])
    assert changes == []  # HRB-2008 sets no image quality rule


def test_clock_drift_is_reported_when_it_starts() -> None:
    _, changes = run(HRB, [ok(0, clock_drift_s=2.0), ok(1, clock_drift_s=-95.0), ok(2, clock_drift_s=-96.0)])
    assert [(c.kind, c.articles, c.data["drift_s"]) for c in changes] == [("clock_drift", (), -95.0)]


@given(st.lists(st.booleans(), min_size=1, max_size=60))
def test_outages_pair_up_and_measure_their_length(pattern: list[bool]) -> None:
    polls = [ok(i) if good else fail(i) for i, good in enumerate(pattern)]
    state, changes = run(HRB, polls)
    kinds = [c.kind for c in changes if c.kind in ("went_offline", "came_back")]
    # Offline and back alternate, starting with offline.
    assert all(k == ("went_offline" if i % 2 == 0 else "came_back") for i, k in enumerate(kinds))
    # An outage is a run of at least 3 failures; its start is that run's first failure.
    expected, run_start, run_len = [], None, 0
    for i, good in enumerate(pattern):
        if not good:
            run_start = i if run_len == 0 else run_start
            run_len += 1
        else:
            if run_len >= 3:
                expected.append((run_start, i))
            run_len = 0
    backs = [c for c in changes if c.kind == "came_back"]
    assert [
        (
            int((c.data["outage_start"] - T0).total_seconds() // 60),  # type: ignore[operator]
            int((c.data["outage_end"] - T0).total_seconds() // 60),
        )
        for c in backs
    ] == expected  # type: ignore[operator]
    # Online until 3 failures in a row; no verdict at all before a first answer or outage.
    if run_len >= 3:
        assert state.online is False
    elif any(pattern):
        assert state.online is True
    else:
        assert state.online is None


# HRB art. 20(6): "不得擅自改变技防系统用途、位置和范围"; KMG art. 21(4): "不得擅自改变公共安全语音图像
# 信息系统的用途和摄像设备的位置", art. 22(2): "擅自改变技防系统的用途和范围".
HRB_POSITION = ("HRB-2008 art. 20(6)",)
KMG_POSITION = ("KMG-2012 art. 21(4)", "KMG-2012 art. 22(2)")
GENERIC = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
PRESET = PtzVector(0.1, -0.2, 0.0)


def head(pan: float, tilt: float = -0.2, zoom: float = 0.0) -> PtzReading:
    return PtzReading("1", PRESET, PtzVector(pan, tilt, zoom))


def test_the_platform_defaults_of_a_position() -> None:
    for pack in (HRB, KMG):
        assert pack.default("ptz_preset_tolerance") == 0.02
        assert pack.default("ptz_away_polls") == 10
        assert pack.default("scene_change_persisting_s") == 600
        assert all(
            pack.platform_defaults[n].platform_default
            for n in ("ptz_preset_tolerance", "ptz_away_polls", "scene_change_persisting_s")
        )


def test_a_ptz_head_away_from_its_preset_is_suspected_after_the_polls_in_a_row() -> None:
    """HRB art. 20(6), KMG art. 21(4): a camera resting away from its registered preset by more
    than the tolerance, poll after poll, shows a changed position; a suspicion citing the duty
    for an officer. An operator's brief move (fewer polls), or a head within the tolerance, is not."""
    n = int(HRB.default("ptz_away_polls"))
    within = [ok(i, ptz=head(0.1 + 0.019)) for i in range(n + 2)]
    assert run(HRB, within)[1] == []
    brief = [ok(i, ptz=head(0.6)) for i in range(n - 1)] + [ok(n, ptz=head(0.1))]
    state, changes = run(HRB, brief)
    assert changes == [] and state.ptz_away_polls == 0  # back before the count: no record at all
    away = [ok(i, ptz=head(0.6, zoom=0.3)) for i in range(n + 3)]
    state, changes = run(HRB, away)
    [moved] = changes  # reported once, not at every poll after
    assert (moved.kind, moved.articles) == ("position_changed", HRB_POSITION)
    assert moved.data["reason"] == "ptz_away_from_preset" and moved.data["preset_token"] == "1"
    assert moved.data["offset"] == 0.5 and moved.data["polls"] == n and moved.data["tolerance"] == 0.02
    assert moved.data["since"] == T0 and moved.data["position"] == PtzVector(0.6, -0.2, 0.3)
    _, changes = run(KMG, away)
    assert changes[0].articles == KMG_POSITION
    # Back at the preset: recorded, citing nothing; away again counts from zero.
    state, changes = run(
        HRB, [*away, ok(n + 3, ptz=head(0.1)), *[ok(n + 4 + i, ptz=head(-0.9)) for i in range(n)]]
    )
    assert [(c.kind, c.articles) for c in changes] == [
        ("position_changed", HRB_POSITION),
        ("position_restored", ()),
        ("position_changed", HRB_POSITION),
    ]
    assert changes[1].data["away_since"] == T0 and changes[1].data["preset_token"] == "1"


def test_unreadable_polls_neither_count_nor_break_a_run_away_from_the_preset() -> None:
    """A poll without a PTZ reading (a fault on GetStatus, no preset) or without an answer at all
    gives no verdict on the position: the run of polls away goes on after it."""
    n = int(HRB.default("ptz_away_polls"))
    polls = [ok(i, ptz=head(0.6)) for i in range(n - 1)] + [
        ok(n, ptz=None),
        fail(n + 1),
        ok(n + 2, ptz=head(0.6)),
    ]
    _, changes = run(HRB, polls)
    assert [c.kind for c in changes] == ["position_changed"]
    assert changes[0].data["polls"] == n


def test_the_offset_wraps_around_and_other_spaces_are_not_compared() -> None:
    assert ptz_offset(PtzVector(0.99, 0.0, None), PtzVector(-0.99, 0.0, None)) == pytest.approx(0.02)
    assert ptz_offset(PtzVector(0.0, 0.0, 0.2), PtzVector(0.0, 0.5, 0.2)) == 0.5
    degrees = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/SphericalPositionSpaceDegrees"
    assert ptz_offset(PtzVector(10.0, 5.0, None, degrees), PtzVector(90.0, 5.0, None, degrees)) is None
    assert ptz_offset(PtzVector(0.0, 0.0, None, GENERIC), PtzVector(0.5, 0.0, None)) == 0.5
    assert ptz_offset(PtzVector(None, None, 0.1), PtzVector(0.3, 0.3, None)) is None  # nothing in common


def test_a_scene_change_that_persists_is_suspected_and_a_brief_one_is_only_the_alarm() -> None:
    """A scene-change alarm that stays raised longer than the threshold shows a changed view (HRB
    art. 20(6), KMG art. 21(4)): a suspicion once per raised alarm; one that clears before the
    threshold is only the alarm."""
    threshold = int(HRB.default("scene_change_persisting_s") // 60)
    raised = RaisedAlarm(T0, "VideoSource_1")
    brief = [
        ok(0, scene_change=raised),
        ok(threshold - 1, scene_change=raised),
        ok(threshold, scene_change=None),
    ]
    assert run(HRB, brief)[1] == []
    persisting = [ok(m, scene_change=raised) for m in range(0, threshold + 30, 5)]
    _, changes = run(HRB, persisting)
    [moved] = changes
    assert (moved.kind, moved.articles) == ("position_changed", HRB_POSITION)
    assert moved.data == {
        "reason": "scene_change_persisting",
        "since": T0,
        "seconds": threshold * 60,
        "threshold_s": threshold * 60,
        "source": "VideoSource_1",
    }
    again = RaisedAlarm(T0 + timedelta(minutes=300), "VideoSource_1")
    _, changes = run(
        KMG, [*persisting, ok(200), ok(300, scene_change=again), ok(300 + threshold, scene_change=again)]
    )
    assert [c.articles for c in changes] == [KMG_POSITION, KMG_POSITION]  # cleared, raised again
