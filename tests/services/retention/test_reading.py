"""Hypothesis-generated recording layouts served by the simulated recorder over ONVIF, read by
the lean client (the gaps come from the recording history), judged in PostgreSQL, and compared
with the result computed independently from the layout itself."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jifang.db import session_scope
from jifang.onvif import OnvifClient
from services.retention.findings import render_findings
from services.retention.observations import ObservationRepository
from services.retention.partitions import PartitionRepository
from services.retention.reading import presence_to_footage, read_recorder
from services.retention.repository import FleetRepository
from simulator.device import SimDevice
from simulator.server import Fleet
from tests.services.retention.conftest import mirror_unit
from tests.services.retention.test_evaluation import BOOK, Layout, expected

PASSWORD = "pw"
# Lengths and ages kept clear of the thresholds by far more than a test's own duration.
_days = st.sampled_from([3.0, 9.5, 14.0, 16.0, 29.0, 31.0, 44.0])
_gap = st.tuples(st.sampled_from([0.5, 2.0, 6.0, 12.0, 20.0, 40.0]), st.sampled_from([60.0, 1800.0, 43200.0]))


@st.composite
def sim_layouts(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(_days)
    gaps = []
    for at, seconds in sorted(draw(st.lists(_gap, max_size=3, unique_by=lambda g: g[0])), reverse=True):
        end = at - seconds / 86400
        if at < days - 0.01 and end > 0.01 and (not gaps or at < gaps[-1][1] - 0.01):
            gaps.append([at, end])
    return {
        "jurisdiction": draw(st.sampled_from(["harbin-2008", "kunming-2012"])),
        "recording": {
            "days": days,
            "gaps": gaps,
            "status": draw(st.sampled_from(["Recording", "Recording", "Stopped"])),
            "max_retention_days": draw(st.sampled_from([0, 7, 20, 45])),
        },
        "skew_s": draw(st.sampled_from([0.0, 7200.0, -3600.0])),
    }


def layout_of(spec: dict[str, Any]) -> Layout:
    rec = spec["recording"]
    cuts = [rec["days"], *(x for g in rec["gaps"] for x in g), 0.0]
    return Layout(
        jurisdiction=spec["jurisdiction"],
        footage=[(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)],
        status=rec["status"],
        max_retention_days=float(rec["max_retention_days"]),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=sim_layouts())
async def test_layouts_read_over_onvif_judge_as_computed(
    retention_maker: async_sessionmaker[AsyncSession], spec: dict[str, Any]
) -> None:
    fleet = Fleet()
    await fleet.start([SimDevice("nvr", kind="nvr", password=PASSWORD)])
    try:
        # The skew first: the recorder writes its footage in its own (wrong) time.
        await fleet.update("nvr", {"clock_skew_s": spec["skew_s"], "recordings": [spec["recording"]]})
        nvr = fleet.devices["nvr"]
        client = OnvifClient(f"{nvr.base_url}/onvif/device_service", nvr.username, PASSWORD, timeout_s=3)
        checked_at = dt.datetime.now(dt.UTC)
        reading = await read_recorder(client, checked_at, dt.timedelta(days=31))
        client.close()
    finally:
        await fleet.stop()
    assert reading.verified, reading.reason
    (channel,) = reading.channels
    async with session_scope(retention_maker) as session:
        unit_id = await mirror_unit(session, spec["jurisdiction"])
        recorder_id = uuid.uuid4()
        await FleetRepository(session).upsert_devices(
            [
                {
                    "device_id": recorder_id,
                    "unit_id": unit_id,
                    "kind": "nvr",
                    "name": "NVR",
                    "onvif_address": nvr.base_url,
                    "parent_id": None,
                    "channel_no": None,
                    "place_id": None,
                    "system_id": None,
                }
            ]
        )
        await PartitionRepository(session).ensure({checked_at.date()})
        (row,) = await ObservationRepository(session).record(
            [
                {
                    "check_id": uuid.uuid4(),
                    "checked_at": checked_at,
                    "recorder_id": recorder_id,
                    "recording_token": channel.token,
                    "unit_id": unit_id,
                    "outcome": "read",
                    "earliest": channel.earliest,
                    "latest": channel.latest,
                    "footage": [asyncpg.Range(a, b) for a, b in channel.footage],
                    "recording_status": channel.status,
                    "max_retention_s": channel.max_retention_s,
                }
            ]
        )
    verdict, kinds, gaps = expected(layout_of(spec), now=checked_at)
    got = sorted(f["kind"] for f in render_findings(row, BOOK))
    assert (row.verdict, got, len(row.gaps)) == (verdict, sorted(kinds), gaps), spec
    # The recorder's clock was wrong by hours: the spans are in platform time all the same.
    assert abs(row.retained_days - spec["recording"]["days"]) < 0.01


def test_footage_from_the_recording_history() -> None:
    """Data-present transitions after the search's start, with its start state."""
    t = [dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(days=i) for i in range(10)]

    class E:
        def __init__(self, at: dt.datetime, present: bool, start: bool = False) -> None:
            self.at, self.present, self.start_state, self.track, self.recording = at, present, start, "", ""

    events: Any = [E(t[5], True, start=True), E(t[6], False), E(t[7], True)]
    assert presence_to_footage(t[0], t[5], t[9], events) == [(t[0], t[6]), (t[7], t[9])]
    absent_at_start: Any = [E(t[5], False, start=True), E(t[6], True)]
    assert presence_to_footage(t[0], t[5], t[9], absent_at_start) == [(t[0], t[5]), (t[6], t[9])]
