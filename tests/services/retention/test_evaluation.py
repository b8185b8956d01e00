"""The set-based judgement in PostgreSQL against an independent computation in plain Python,
over a hypothesis-generated range of recording layouts (gaps, deletions, stopped recording,
short retention, a recorder set to keep too little, systems accepted recently, systems declared
to record continuously, on events or on a schedule, maintenance windows declared beforehand),
and the verdicts and articles a user reads for the cases the law names."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.policy import load_policy_book
from services.retention.findings import render_findings
from services.retention.observations import ObservationRepository
from services.retention.partitions import PartitionRepository
from services.retention.repository import FleetRepository, MaintenanceRow
from tests.services.retention.conftest import mirror_unit

BOOK = load_policy_book()
DAY = 86400.0
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)

Segments = list[tuple[float, float]]  # (from, to) in days ago, from > to


@dataclass
class Layout:
    jurisdiction: str
    footage: Segments
    status: str = "Recording"
    max_retention_days: float = 0.0
    accepted_days_ago: int | None = None
    previous: Segments | None = None  # the last reading's footage
    previous_hours_ago: float = 24.0
    findings: list[str] = field(default_factory=list)
    # How the system is declared to record (null: as by default, continuously)
    declaration: dict[str, Any] | None = None
    maintenance: Segments = field(default_factory=list)  # windows declared on the recorder


def _at(days_ago: float, now: dt.datetime = NOW) -> dt.datetime:
    return now - dt.timedelta(seconds=round(days_ago * DAY))


def _intervals(segments: Segments, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Disjoint, ordered intervals (merging touching ones, as a multirange does)."""
    spans = sorted((_at(a, now), _at(b, now)) for a, b in segments if _at(a, now) < _at(b, now))
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _minus(span: tuple[dt.datetime, dt.datetime], cover: list[tuple[dt.datetime, dt.datetime]]):  # type: ignore[no-untyped-def]
    """The parts of ``span`` that ``cover`` leaves out."""
    out, cursor = [], span[0]
    for a, b in cover:
        if b <= cursor or a >= span[1]:
            continue
        if a > cursor:
            out.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < span[1]:
        out.append((cursor, span[1]))
    return out


def _intersect(xs, ys):  # type: ignore[no-untyped-def]
    out = []
    for a, b in xs:
        for c, d in ys:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return out


def _recording_time(layout: Layout, tz: ZoneInfo, start: dt.datetime, now: dt.datetime):  # type: ignore[no-untyped-def]
    """When the system was to record within [start, now): as declared, less maintenance."""
    declaration = layout.declaration or {"mode": "continuous"}
    if declaration["mode"] == "continuous":
        spans = [(start, now)]
    elif declaration["mode"] == "event":
        spans = []
    else:
        spans = []
        day = start.astimezone(tz).date() - dt.timedelta(days=1)
        while day <= now.astimezone(tz).date():
            for slot in declaration["schedule"]:
                if day.isoweekday() in slot["days"]:
                    a = dt.datetime.combine(day, dt.time.fromisoformat(slot["start"]), tz)
                    b = dt.datetime.combine(day, dt.time.fromisoformat(slot["end"]), tz)
                    spans.append((a, b if b > a else b + dt.timedelta(days=1)))
            day += dt.timedelta(days=1)
        spans = _intersect(_merged(spans), [(start, now)])
    out = []
    for span in _merged(spans):
        out.extend(_minus(span, _intervals(layout.maintenance, now)))
    return out


def _merged(spans):  # type: ignore[no-untyped-def]
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def expected(layout: Layout, now: dt.datetime = NOW) -> tuple[str, list[str], int]:
    """(verdict, finding kinds, gaps listed), computed without PostgreSQL."""
    pack = BOOK[layout.jurisdiction]
    required = pack.retention.days
    threshold = pack.default("recording_gap_threshold_s")
    slack = pack.default("retention_deletion_slack_s")
    stale = pack.default("recording_stale_s")
    footage = _intervals(layout.footage, now)
    window_start = now - dt.timedelta(days=required)
    local_today = now.astimezone(ZoneInfo(pack.timezone)).date()
    accepted = (
        local_today - dt.timedelta(days=layout.accepted_days_ago)
        if layout.accepted_days_ago is not None
        else None
    )
    due = accepted is None or accepted + dt.timedelta(days=required) <= local_today
    earliest = footage[0][0] if footage else None
    latest = footage[-1][1] if footage else None
    retained_s = (now - earliest).total_seconds() if earliest else 0.0
    gaps: list[tuple[dt.datetime, dt.datetime]] = []
    if earliest and latest and max(window_start, earliest) < latest:
        gaps = _minus((max(window_start, earliest), latest), footage)
    long_enough = [g for g in gaps if (g[1] - g[0]).total_seconds() >= threshold]
    then = now - dt.timedelta(hours=layout.previous_hours_ago)
    prev = _intervals(layout.previous, then) if layout.previous is not None else None
    kinds = []
    if due and retained_s < required * DAY - threshold:
        kinds.append("short")
    if due and 0 < layout.max_retention_days * DAY < required * DAY:
        kinds.append("configured_short")
    if prev is not None:
        prev_earliest = prev[0][0] if prev else None
        prev_latest = prev[-1][1] if prev else None
        jumped = (
            earliest is not None
            and prev_earliest is not None
            and earliest > window_start
            and (earliest - prev_earliest) > (now - then) + dt.timedelta(seconds=slack)
        )
        if jumped or (earliest is None and prev_latest is not None and prev_latest > window_start):
            kinds.append("deleted")
        if any((b - a).total_seconds() >= threshold for a, b in _intersect(gaps, prev)):
            kinds.append("deleted")
        interruptions = [
            piece
            for g in gaps
            for piece in _minus(g, prev)
            if (piece[1] - piece[0]).total_seconds() >= threshold
        ]
    else:
        interruptions = long_enough
    # Only gaps in time it was to record are interruptions (HRB art. 20(5), KMG art. 19).
    to_record = _recording_time(layout, ZoneInfo(pack.timezone), window_start, now)
    if any((b - a).total_seconds() >= threshold for a, b in _intersect(_merged(interruptions), to_record)):
        kinds.append("gap")
    recording_now = any(a <= now - dt.timedelta(seconds=1) < b for a, b in to_record)
    since_latest = (
        sum((b - a).total_seconds() for a, b in _intersect(to_record, [(min(latest, now), now)]))
        if latest is not None
        else 0.0
    )
    if (layout.status != "Recording" and recording_now) or since_latest > stale:
        kinds.append("stopped")
    verdict = "violating" if kinds else ("not_yet_due" if not due else "compliant")
    return verdict, kinds, len(long_enough)


async def judge(maker: async_sessionmaker[AsyncSession], layout: Layout) -> dict[str, Any]:
    """Mirror a unit and a recorder, store the previous and the current reading, judge each."""
    async with session_scope(maker) as session:
        unit_id = await mirror_unit(session, layout.jurisdiction)
        recorder_id, system_id = uuid.uuid4(), uuid.uuid4()
        fleet = FleetRepository(session)
        pack = BOOK[layout.jurisdiction]
        local_today = NOW.astimezone(ZoneInfo(pack.timezone)).date()
        await fleet.upsert_systems(
            [
                {
                    "system_id": system_id,
                    "unit_id": unit_id,
                    "acceptance_date": local_today - dt.timedelta(days=layout.accepted_days_ago)
                    if layout.accepted_days_ago is not None
                    else None,
                    "recording": layout.declaration,
                }
            ]
        )
        await fleet.upsert_devices([_recorder(recorder_id, unit_id, system_id)])
        for a, b in _intervals(layout.maintenance, NOW):
            await fleet.upsert_maintenance(MaintenanceRow(uuid.uuid4(), unit_id, [recorder_id], a, b))
        await PartitionRepository(session).ensure({NOW.date(), (NOW - dt.timedelta(days=2)).date()})
        obs = ObservationRepository(session)
        if layout.previous is not None:
            then = NOW - dt.timedelta(hours=layout.previous_hours_ago)
            await store(obs, unit_id, recorder_id, then, layout.previous, "Recording", 0.0)
        row = await store(
            obs, unit_id, recorder_id, NOW, layout.footage, layout.status, layout.max_retention_days
        )
    return row


def _recorder(
    recorder_id: uuid.UUID, unit_id: uuid.UUID, system_id: uuid.UUID | None = None, **over: Any
) -> dict[str, Any]:
    return {
        "device_id": recorder_id,
        "unit_id": unit_id,
        "kind": "nvr",
        "name": "NVR",
        "onvif_address": "http://192.0.2.1/onvif/device_service",
        "parent_id": None,
        "channel_no": None,
        "place_id": None,
        "system_id": system_id,
        **over,
    }


async def store(
    obs: ObservationRepository,
    unit_id: uuid.UUID,
    recorder_id: uuid.UUID,
    at: dt.datetime,
    segments: Segments,
    status: str,
    max_retention_days: float,
    token: str = "Recording_1",
    camera_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    footage = _intervals(segments, at)
    (row,) = await obs.record(
        [
            {
                "check_id": uuid.uuid4(),
                "checked_at": at,
                "recorder_id": recorder_id,
                "recording_token": token,
                "source_name": "VideoSource_1",
                "camera_id": camera_id,
                "unit_id": unit_id,
                "outcome": "read",
                "earliest": footage[0][0] if footage else None,
                "latest": footage[-1][1] if footage else None,
                "footage": [asyncpg.Range(a, b) for a, b in footage],
                "recording_status": status,
                "max_retention_s": max_retention_days * DAY,
            }
        ]
    )
    return {**row._mapping, "findings": render_findings(row, BOOK)}


# --- generated layouts ---

_point = st.floats(min_value=0.0, max_value=50.0, allow_nan=False).map(lambda d: round(d, 3))
# Gap lengths around the thresholds (300 s gap, 3600 s slack and stale) and well beyond them.
_gap_s = st.sampled_from([60, 299, 300, 301, 3599, 3601, 43200, 5 * 86400])


@st.composite
def segments(draw: st.DrawFn) -> Segments:
    """Footage from some day until some recent moment, with gaps of lengths near the
    thresholds; or arbitrary pieces."""
    if draw(st.booleans()):
        cuts = sorted(set(draw(st.lists(_point, min_size=0, max_size=8))), reverse=True)
        if len(cuts) % 2:
            cuts.append(draw(st.sampled_from([0.0, 0.001, 0.1])))
        return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    start = draw(st.sampled_from([5.0, 14.9, 15.0, 15.01, 29.99, 30.0, 31.0, 45.0]))
    end = draw(st.sampled_from([0.0, 0.0, 0.04, 0.05]))  # 0.04 d < 1 h stale < 0.05 d
    out, cursor = [], start
    for at, length in sorted(draw(st.lists(st.tuples(_point, _gap_s), max_size=3)), reverse=True):
        gap_from, gap_to = at, at - length / DAY
        if gap_from >= cursor or gap_to <= end:
            continue
        out.append((cursor, gap_from))
        cursor = gap_to
    out.append((cursor, end))
    return out


_slot = st.fixed_dictionaries(
    {
        "days": st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True),
        "start": st.sampled_from(["00:00", "07:30", "08:00", "22:00"]),
        "end": st.sampled_from(["00:00", "06:00", "18:00", "23:59"]),
    }
).filter(lambda slot: slot["start"] != slot["end"])
declarations = st.one_of(
    st.none(),
    st.just({"mode": "continuous", "schedule": []}),
    st.just({"mode": "event", "schedule": []}),
    st.builds(
        lambda slots: {"mode": "scheduled", "schedule": slots}, st.lists(_slot, min_size=1, max_size=3)
    ),
)


def _shifted(footage: Segments, days: float) -> Segments:
    return [(a + days, b + days) for a, b in footage]


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    footage = draw(segments())
    hours_ago = draw(st.sampled_from([1.0, 24.0, 72.0]))
    earlier = draw(
        st.sampled_from([-0.5, 0.0, 0.5, 1.5, 30.0])
    )  # the earliest footage moved by elapsed + this (h)
    previous = draw(
        st.one_of(
            st.none(),
            st.just(footage),  # nothing changed
            segments(),  # anything at all
            st.builds(lambda extra: [*footage, *extra], segments()),  # more then (some gone since)
            # the same footage, its start that much further back than time has moved since
            st.just(
                [(footage[0][0] + (hours_ago + earlier) / 24, footage[0][1]), *footage[1:]] if footage else []
            ),
            st.just(_shifted(footage, -hours_ago / 24)),  # as seen then: the same, earlier
        )
    )
    return Layout(
        declaration=draw(declarations),
        maintenance=draw(st.one_of(st.just([]), segments())),
        jurisdiction=draw(st.sampled_from(["harbin-2008", "kunming-2012"])),
        footage=footage,
        status=draw(st.sampled_from(["Recording", "Recording", "Stopped"])),
        max_retention_days=draw(st.sampled_from([0.0, 7.0, 20.0, 40.0])),
        accepted_days_ago=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60))),
        previous=previous,
        previous_hours_ago=hours_ago,
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(layout=layouts())
# Boundaries the generated layouts reach only by chance: a system due exactly today, footage
# short of the required days by less than a gap, the earliest footage moved on faster than
# time passed but within the deletion slack.
@example(layout=Layout("harbin-2008", [(20.0, 0.0)], accepted_days_ago=15))
@example(layout=Layout("harbin-2008", [(15.0 - 100 / DAY, 0.0)]))
@example(layout=Layout("harbin-2008", [(10.0, 0.0)], previous=[(10.0 + 0.5 / 24, 0.0)]))
async def test_verdicts_equal_an_independent_computation(
    retention_maker: async_sessionmaker[AsyncSession], layout: Layout
) -> None:
    row = await judge(retention_maker, layout)
    verdict, kinds, gaps = expected(layout)
    assert (row["verdict"], sorted(f["kind"] for f in row["findings"]), len(row["gaps"])) == (
        verdict,
        sorted(kinds),
        gaps,
    ), layout


# --- the cases the law names, as a user reads them ---


def kinds_and_articles(row: dict[str, Any]) -> dict[str, list[str]]:
    return {f["kind"]: f["articles"] for f in row["findings"]}


async def test_harbin_keeps_15_days_kunming_30(retention_maker: async_sessionmaker[AsyncSession]) -> None:
    hrb = await judge(retention_maker, Layout("harbin-2008", [(20.0, 0.0)]))
    assert hrb["verdict"] == "compliant" and hrb["required_days"] == 15
    assert hrb["requirement_source"] == "HRB-2008 art. 20(7)"
    assert hrb["retained_days"] == pytest.approx(20.0, abs=0.001)
    kmg = await judge(retention_maker, Layout("kunming-2012", [(20.0, 0.0)]))
    assert kmg["verdict"] == "violating" and kmg["required_days"] == 30
    assert kinds_and_articles(kmg) == {"short": ["KMG-2012 art. 19", "KMG-2012 art. 25"]}
    assert kmg["findings"][0]["penalty"] == "kmg-25"
    short = await judge(retention_maker, Layout("harbin-2008", [(10.0, 0.0)]))
    assert kinds_and_articles(short) == {"short": ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]}


async def test_a_recently_accepted_system_is_not_yet_due(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    row = await judge(retention_maker, Layout("harbin-2008", [(5.0, 0.0)], accepted_days_ago=5))
    local_today = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert row["verdict"] == "not_yet_due" and row["findings"] == []
    assert row["due_date"] == local_today + dt.timedelta(days=10)


async def test_deletion_gap_and_stop_cite_their_articles(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """HRB art. 20(4) "不得擅自删除、修改技防系统运行程序和记录", art. 20(5) "不得无故中断技防系统
    正常运行"; KMG art. 22(1), art. 19: what was seen is measured; that it was deliberate or
    "无故" a person judges (ruling 1). Each is a suspicion citing the duty, with no penalty."""
    # 12 hours cut out of footage that was continuous at yesterday's check.
    deleted = await judge(
        retention_maker, Layout("harbin-2008", [(40.0, 3.0), (2.5, 0.0)], previous=[(40.0, 0.0)])
    )
    assert kinds_and_articles(deleted) == {"deleted": ["HRB-2008 art. 20(4)"]}
    assert [(f["suspected"], f["penalty"]) for f in deleted["findings"]] == [(True, None)]
    assert len(deleted["gaps"]) == 1
    # The earliest footage jumped 20 days in one day, into the required window.
    jumped = await judge(retention_maker, Layout("kunming-2012", [(25.0, 0.0)], previous=[(45.0, 0.0)]))
    assert set(kinds_and_articles(jumped)) == {"deleted", "short"}
    assert kinds_and_articles(jumped)["deleted"] == ["KMG-2012 art. 22(1)"]
    # Footage kept too short is a measured fact: the penalty article at once.
    assert kinds_and_articles(jumped)["short"] == ["KMG-2012 art. 19", "KMG-2012 art. 25"]
    # Old footage overwritten as time passes is no deletion.
    rolling = await judge(retention_maker, Layout("harbin-2008", [(30.0, 0.0)], previous=[(30.0, 0.0)]))
    assert rolling["verdict"] == "compliant"
    # A gap seen at the first check is an interruption; a stopped recorder too.
    gap = await judge(retention_maker, Layout("harbin-2008", [(40.0, 3.0), (2.5, 0.0)]))
    assert kinds_and_articles(gap) == {"gap": ["HRB-2008 art. 20(5)"]}
    assert gap["findings"][0]["suspected"] is True
    stopped = await judge(retention_maker, Layout("harbin-2008", [(40.0, 2.0)], status="Stopped"))
    assert set(kinds_and_articles(stopped)) == {"stopped"}


async def add_stricter_rule(session: AsyncSession, category: str) -> None:
    """30 days for ``category`` in Harbin (whose general rule is 15), in the caller's transaction."""
    await session.execute(
        text("INSERT INTO retention.rules VALUES ('harbin-2008', :c, 30, 'test standard §1')"),
        {"c": category},
    )


async def judge_in_category(
    maker: async_sessionmaker[AsyncSession],
    category: str,
    footage_days: float,
    rule: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """A Harbin channel of a place in ``category`` with this much footage, judged; ``rule``
    (days, source) a category period entered for the test only (rolled back with it)."""
    async with session_scope(maker) as session:
        unit_id = await mirror_unit(session, "harbin-2008")
        place_id, recorder_id = uuid.uuid4(), uuid.uuid4()
        fleet = FleetRepository(session)
        await fleet.upsert_places([{"place_id": place_id, "unit_id": unit_id, "category": category}])
        await fleet.upsert_devices([_recorder(recorder_id, unit_id, place_id=place_id)])
        if rule is not None:
            await session.execute(
                text("INSERT INTO retention.rules VALUES ('harbin-2008', :c, :d, :s)"),
                {"c": category, "d": rule[0], "s": rule[1]},
            )
        await PartitionRepository(session).ensure({NOW.date()})
        row = await store(
            ObservationRepository(session), unit_id, recorder_id, NOW, [(footage_days, 0.0)], "Recording", 0
        )
        if rule is not None:
            await session.rollback()
    return row


async def test_an_entertainment_venue_keeps_the_period_of_its_own_regulation(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """HRB art. 20(7) "法律、法规另有规定的从其规定"; 娱乐场所管理条例 art. 15 "歌舞娱乐场所应当将闭路电视
    监控录像资料留存30日备查": a Harbin venue's channel is held to 30 days, citing that source, as
    the pack enters it (art. 7(10)'s entertainment venues)."""
    row = await judge_in_category(retention_maker, "hrb-7-10-ent", 20.0)
    assert (row["required_days"], row["requirement_source"]) == (30, "娱乐场所管理条例 art. 15")
    assert row["verdict"] == "violating" and [f["kind"] for f in row["findings"]] == ["short"]


async def test_a_stricter_rule_for_a_category_applies_with_its_source(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    category = f"strict-{uuid.uuid4().hex[:6]}"
    row = await judge_in_category(retention_maker, category, 20.0, (30, "test standard §1"))
    assert row["required_days"] == 30 and row["requirement_source"] == "test standard §1"
    assert row["verdict"] == "violating" and row["category"] == category


async def test_a_shorter_period_of_another_law_applies_in_harbin(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """HRB art. 20(7) "法律、法规另有规定的从其规定" defers either way: a category's 7 days (as the
    pack's rules table holds it) judge 10 days of footage compliant where 15 would not."""
    row = await judge_in_category(
        retention_maker, f"short-{uuid.uuid4().hex[:6]}", 10.0, (7, "某法规 art. 1")
    )
    assert (row["required_days"], row["requirement_source"], row["verdict"]) == (
        7,
        "某法规 art. 1",
        "compliant",
    )


async def test_a_system_falls_due_on_its_date_without_a_new_check(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """Re-judged from the stored spans: 5 days of footage, the system accepted 5 days ago, is
    not yet due; once its acceptance lies 16 days back (the clock moved on), it is short."""
    layout = Layout("harbin-2008", [(5.0, 0.0)], accepted_days_ago=5)
    row = await judge(retention_maker, layout)
    assert row["verdict"] == "not_yet_due"
    async with session_scope(retention_maker) as session:
        await session.execute(
            text(
                "UPDATE retention.systems s SET acceptance_date = acceptance_date - 11 "
                "FROM retention.devices d WHERE d.system_id = s.system_id AND d.device_id = :r"
            ),
            {"r": row["recorder_id"]},
        )
        assert await ObservationRepository(session).rejudge() >= 1
        (pairs, _) = await ObservationRepository(session).channels(unit_id=row["unit_id"])
    ((observation, channel),) = pairs
    assert channel.verdict == "violating" and channel.finding_kinds == ["short"]
    assert observation.verdict == "not_yet_due"  # the history keeps what the check found


async def current_judgement(session: AsyncSession, unit_id: uuid.UUID) -> tuple[Any, ...]:
    """The unit's one channel as it stands now (not as this session loaded it before)."""
    session.expire_all()
    ((_, channel),), _ = await ObservationRepository(session).channels(unit_id=unit_id)
    return channel.verdict, channel.finding_kinds, channel.required_days, channel.requirement_source


async def test_a_channel_is_held_to_its_cameras_place_and_system(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """An NVR's channel is judged by the category and the acceptance of the camera it records,
    not the NVR's; a place removed since no longer counts once the channel is judged again."""
    category = f"strict-{uuid.uuid4().hex[:6]}"
    local_today = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    async with session_scope(retention_maker) as session:
        unit_id = await mirror_unit(session, "harbin-2008")
        place_id, system_id, recorder_id, camera_id = (uuid.uuid4() for _ in range(4))
        fleet = FleetRepository(session)
        await fleet.upsert_places([{"place_id": place_id, "unit_id": unit_id, "category": category}])
        accepted = local_today - dt.timedelta(days=40)
        await fleet.upsert_systems(
            [{"system_id": system_id, "unit_id": unit_id, "acceptance_date": accepted}]
        )
        camera = {"kind": "camera", "parent_id": recorder_id, "channel_no": 1, "place_id": place_id}
        await fleet.upsert_devices(
            [_recorder(recorder_id, unit_id), _recorder(camera_id, unit_id, system_id, **camera)]
        )
        await add_stricter_rule(session, category)
        await PartitionRepository(session).ensure({NOW.date()})
        row = await store(
            ObservationRepository(session),
            unit_id,
            recorder_id,
            NOW,
            [(20.0, 0.0)],
            "Recording",
            0,
            camera_id=camera_id,
        )
        await fleet.upsert_places(
            [{"place_id": place_id, "unit_id": unit_id, "category": category, "removed": True}]
        )
        await ObservationRepository(session).rejudge()
        judged_again = await current_judgement(session, unit_id)
        await session.rollback()
    assert (row["category"], row["required_days"], row["requirement_source"]) == (
        category,
        30,
        "test standard §1",
    )
    assert row["verdict"] == "violating" and row["finding_kinds"] == ["short"]
    assert row["due_date"] == accepted + dt.timedelta(days=30)
    assert judged_again == ("compliant", [], 15, "HRB-2008 art. 20(7)")


async def test_judged_again_what_a_comparison_showed_stays_as_seen(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """Judged again, a channel keeps what only the check saw (a stopped recording) and has the
    rest judged by the rules now: nothing changes while nothing changed; a general rule of
    fewer days ends the short retention."""
    row = await judge(retention_maker, Layout("harbin-2008", [(10.0, 2.0)], status="Stopped"))
    assert row["finding_kinds"] == ["short", "stopped"]
    async with session_scope(retention_maker) as session:
        await ObservationRepository(session).rejudge()
        unchanged = await current_judgement(session, row["unit_id"])
        await session.execute(
            text("UPDATE retention.rules SET days = 5 WHERE jurisdiction = 'harbin-2008' AND category = ''")
        )
        await ObservationRepository(session).rejudge()
        fewer_days = await current_judgement(session, row["unit_id"])
        await session.rollback()
    assert unchanged == ("violating", ["short", "stopped"], 15, "HRB-2008 art. 20(7)")
    assert fewer_days == ("violating", ["stopped"], 5, "HRB-2008 art. 20(7)")


async def test_a_corrected_acceptance_date_moves_the_due_date(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """Not yet due either way, the channel's due date still follows a corrected acceptance
    date when judged again: the date shown is the one the registry holds now."""
    layout = Layout("harbin-2008", [(3.0, 0.0)], accepted_days_ago=3)
    row = await judge(retention_maker, layout)
    assert row["verdict"] == "not_yet_due"
    async with session_scope(retention_maker) as session:
        await session.execute(
            text(
                "UPDATE retention.systems s SET acceptance_date = acceptance_date + 2 "
                "FROM retention.devices d WHERE d.system_id = s.system_id AND d.device_id = :r"
            ),
            {"r": row["recorder_id"]},
        )
        assert await ObservationRepository(session).rejudge() >= 1
        session.expire_all()
        ((_, channel),), _ = await ObservationRepository(session).channels(unit_id=row["unit_id"])
        verdict, due_date = channel.verdict, channel.due_date
        await session.rollback()
    assert verdict == "not_yet_due"
    assert due_date == row["due_date"] + dt.timedelta(days=2)


# --- recording declared continuous, on events or on a schedule; maintenance declared beforehand ---

WORKDAYS_8_TO_18 = {
    "mode": "scheduled",
    "schedule": [{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "18:00"}],
}


def _local(days_ago: int, hour: int) -> float:
    """``hour`` o'clock Beijing time ``days_ago`` local days ago, in days before NOW."""
    tz = ZoneInfo("Asia/Shanghai")
    day = NOW.astimezone(tz).date() - dt.timedelta(days=days_ago)
    return (NOW - dt.datetime.combine(day, dt.time(hour), tz)).total_seconds() / DAY


def _a_weekday_night() -> tuple[float, float]:
    """From 20:00 of a weekday at least 3 days back to 06:00 the next morning, in days ago."""
    tz = ZoneInfo("Asia/Shanghai")
    back = next(
        n for n in range(3, 10) if (NOW.astimezone(tz).date() - dt.timedelta(days=n)).isoweekday() <= 4
    )
    return _local(back, 20), _local(back - 1, 6)


async def test_a_gap_outside_declared_recording_time_is_no_interruption(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """HRB art. 20(5) "不得无故中断技防系统正常运行"; KMG art. 19 "应当保证系统正常运行，不得无故
    中断": a system declared to record on workdays 08:00–18:00 is not interrupted by the nights it
    was never meant to record; the same night gap in a system recording continuously is."""
    night_from, night_to = _a_weekday_night()
    footage = [(20.0, night_from), (night_to, 0.0)]
    for city, articles in (("harbin-2008", ["HRB-2008 art. 20(5)"]), ("kunming-2012", ["KMG-2012 art. 19"])):
        scheduled = await judge(
            retention_maker, Layout(city, footage, accepted_days_ago=1, declaration=WORKDAYS_8_TO_18)
        )
        assert scheduled["verdict"] == "not_yet_due" and scheduled["findings"] == []
        assert len(scheduled["gaps"]) == 1  # the gap is still listed: a measured fact
        continuous = await judge(retention_maker, Layout(city, footage, accepted_days_ago=1))
        assert kinds_and_articles(continuous) == {"gap": articles}
    # A gap reaching into the morning's recording time is an interruption again.
    into_morning = [(20.0, night_from), (night_to - 4 / 24, 0.0)]  # footage again at 10:00
    row = await judge(
        retention_maker,
        Layout("harbin-2008", into_morning, accepted_days_ago=1, declaration=WORKDAYS_8_TO_18),
    )
    assert kinds_and_articles(row) == {"gap": ["HRB-2008 art. 20(5)"]}


async def test_event_recording_has_gaps_but_must_still_keep_its_days(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """A system recording on events only has footage only where something happened: its gaps
    and a quiet last day are no interruption; what it holds must still reach back the
    required days (HRB art. 20(7) "保存期不得少于15天", KMG art. 19 "不得少于30日")."""
    events = {"mode": "event", "schedule": []}
    footage = [(31.0, 30.9), (12.0, 11.99), (3.0, 2.5)]
    kmg = await judge(retention_maker, Layout("kunming-2012", footage, declaration=events))
    assert kmg["verdict"] == "compliant" and kmg["findings"] == []
    short = await judge(retention_maker, Layout("harbin-2008", [(10.0, 9.0)], declaration=events))
    assert kinds_and_articles(short) == {"short": ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]}


async def test_maintenance_declared_beforehand_covers_its_gap(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """Ruling 1: an interruption needs to be "无故" (without cause); planned work the unit declared
    beforehand is a cause. A gap inside the window is none; the part of a gap that outlasts the
    window by more than the gap threshold is."""
    footage = [(20.0, 5.0), (4.8, 0.0)]
    covered = await judge(retention_maker, Layout("harbin-2008", footage, maintenance=[(5.1, 4.7)]))
    assert covered["verdict"] == "compliant" and len(covered["gaps"]) == 1
    outlasting = await judge(retention_maker, Layout("harbin-2008", footage, maintenance=[(5.1, 4.9)]))
    assert kinds_and_articles(outlasting) == {"gap": ["HRB-2008 art. 20(5)"]}
    # A recorder stopped inside a window is not stopped without cause either.
    stopped = await judge(
        retention_maker, Layout("harbin-2008", [(20.0, 0.2)], status="Stopped", maintenance=[(0.3, -1.0)])
    )
    assert stopped["verdict"] == "compliant"


async def test_a_channel_declares_its_own_recording(
    retention_maker: async_sessionmaker[AsyncSession],
) -> None:
    """A camera of a continuously recording system that records on events only (its channel's
    own declaration) has no interruption in its gaps; the system's other channels still do."""
    async with session_scope(retention_maker) as session:
        unit_id = await mirror_unit(session, "harbin-2008")
        system_id, recorder_id, events_cam, other_cam = (uuid.uuid4() for _ in range(4))
        fleet = FleetRepository(session)
        await fleet.upsert_systems([{"system_id": system_id, "unit_id": unit_id, "acceptance_date": None}])
        cameras = [
            _recorder(
                cam, unit_id, system_id, kind="camera", parent_id=recorder_id, channel_no=n, recording=rec
            )
            for n, (cam, rec) in enumerate(
                ((events_cam, {"mode": "event", "schedule": []}), (other_cam, None)), 1
            )
        ]
        await fleet.upsert_devices([_recorder(recorder_id, unit_id, system_id, recording=None), *cameras])
        await PartitionRepository(session).ensure({NOW.date()})
        obs = ObservationRepository(session)
        footage = [(20.0, 3.0), (2.0, 0.0)]
        rows = [
            await store(obs, unit_id, recorder_id, NOW, footage, "Recording", 0, token=f"R{n}", camera_id=cam)
            for n, cam in ((1, events_cam), (2, other_cam))
        ]
    assert [r["finding_kinds"] for r in rows] == [[], ["gap"]]
