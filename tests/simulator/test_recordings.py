"""The recording index of a simulated recorder (Search and Recording services, Profile G):
valid answers, searches that page, end and expire, gaps seen as RecordingHistory events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from simulator.device import SimDevice
from simulator.recordings import Recording, RecordingIndex, footage
from simulator.server import recording_index
from simulator.services import NS, SERVICE_PATHS, dispatch, get_services
from simulator.soap import SoapFault
from tests.conftest import assert_valid

TSE, TRC, TT = NS["tse"], NS["trc"], NS["tt"]


def recorder() -> SimDevice:
    dev = SimDevice("nvr", kind="nvr", port=10700)
    now = dev.now()
    dev.recordings = RecordingIndex(
        [
            Recording("Rec_1", "VideoSource_1", footage(now, 40, [(5, 4.5)])),
            Recording("Rec_2", "VideoSource_2", footage(now, 10), max_retention=timedelta(days=7)),
            Recording("Rec_3", "VideoSource_3", footage(now, 20, recording=False), status="Stopped"),
        ]
    )
    return dev


def request(ns: str, name: str, *children: tuple[str, str]) -> etree._Element:
    req = etree.Element(f"{{{ns}}}{name}", nsmap={"tse": TSE, "tt": TT, "trc": TRC})
    for child, text in children:
        prefix, local = child.split(":")
        etree.SubElement(req, f"{{{NS[prefix]}}}{local}").text = text
    return req


async def call(schema: etree.XMLSchema, dev: SimDevice, req: etree._Element) -> etree._Element:
    assert_valid(schema, req)
    path = SERVICE_PATHS[etree.QName(req).namespace]
    resp = await dispatch(dev, path, etree.QName(req), req)
    assert_valid(schema, resp)
    return resp


def when(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


async def test_recorders_offer_search_and_recording(schema: etree.XMLSchema) -> None:
    namespaces = [
        s.findtext("tds:Namespace", namespaces=NS) for s in get_services(recorder(), etree.Element("x"))
    ]
    assert TSE in namespaces and TRC in namespaces
    camera = SimDevice("cam", port=10701)  # no storage: no Profile G
    assert TSE not in [
        s.findtext("tds:Namespace", namespaces=NS) for s in get_services(camera, etree.Element("x"))
    ]
    with pytest.raises(SoapFault):
        await dispatch(
            camera, SERVICE_PATHS[TSE], etree.QName(TSE, "GetRecordingSummary"), etree.Element("x")
        )


async def test_summary_search_information_and_retention_setting(schema: etree.XMLSchema) -> None:
    dev = recorder()
    now = dev.now()
    summary = (await call(schema, dev, request(TSE, "GetRecordingSummary"))).find("tse:Summary", NS)
    assert abs(when(summary.findtext("tt:DataFrom", namespaces=NS)) - (now - timedelta(days=40))) < timedelta(
        seconds=2
    )
    assert summary.findtext("tt:NumberRecordings", namespaces=NS) == "3"

    find = request(TSE, "FindRecordings", ("tse:Scope", ""), ("tse:KeepAliveTime", "PT10S"))
    token = (await call(schema, dev, find)).findtext("tse:SearchToken", namespaces=NS)
    seen, states = [], []
    while True:  # paged two at a time, until the search completes
        page = request(TSE, "GetRecordingSearchResults", ("tse:SearchToken", token), ("tse:MaxResults", "2"))
        result = (await call(schema, dev, page)).find("tse:ResultList", NS)
        states.append(result.findtext("tt:SearchState", namespaces=NS))
        seen += [
            r.findtext("tt:RecordingToken", namespaces=NS)
            for r in result.findall("tt:RecordingInformation", NS)
        ]
        if states[-1] == "Completed":
            break
    assert states == ["Searching", "Completed"] and seen == ["Rec_1", "Rec_2", "Rec_3"]
    end = await call(schema, dev, request(TSE, "EndSearch", ("tse:SearchToken", token)))
    assert end.findtext("tse:Endpoint", namespaces=NS)
    assert dev.recordings is not None and dev.recordings.searches == {} and dev.recordings.searches_ended == 1
    with pytest.raises(SoapFault) as info:
        await call(schema, dev, request(TSE, "EndSearch", ("tse:SearchToken", token)))
    assert info.value.subcode == "ter:InvalidToken"

    info_resp = await call(
        schema, dev, request(TSE, "GetRecordingInformation", ("tse:RecordingToken", "Rec_3"))
    )
    rec = info_resp.find("tse:RecordingInformation", NS)
    assert rec.findtext("tt:RecordingStatus", namespaces=NS) == "Stopped"
    track = rec.find("tt:Track", NS)
    span = when(track.findtext("tt:DataTo", namespaces=NS)) - when(
        track.findtext("tt:DataFrom", namespaces=NS)
    )
    assert abs(span - timedelta(days=20)) < timedelta(seconds=2)

    items = (await call(schema, dev, request(TRC, "GetRecordings"))).findall("trc:RecordingItem", NS)
    retention = {
        i.findtext("tt:RecordingToken", namespaces=NS): i.findtext(
            "tt:Configuration/tt:MaximumRetentionTime", namespaces=NS
        )
        for i in items
    }
    assert retention == {"Rec_1": "PT2592000S", "Rec_2": "PT604800S", "Rec_3": "PT2592000S"}


async def test_gaps_are_recording_history_events(schema: etree.XMLSchema) -> None:
    dev = recorder()
    now = dev.now()
    find = request(
        TSE,
        "FindEvents",
        ("tse:StartPoint", (now - timedelta(days=41)).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("tse:Scope", ""),
        ("tse:SearchFilter", ""),
        ("tse:IncludeStartState", "true"),
        ("tse:KeepAliveTime", "PT10S"),
    )
    find.find("tse:Scope", NS).append(etree.Element(f"{{{TT}}}IncludedRecordings"))
    find.find("tse:Scope/tt:IncludedRecordings", NS).text = "Rec_1"
    token = (await call(schema, dev, find)).findtext("tse:SearchToken", namespaces=NS)
    page = request(TSE, "GetEventSearchResults", ("tse:SearchToken", token), ("tse:WaitTime", "PT1S"))
    result = (await call(schema, dev, page)).find("tse:ResultList", NS)
    assert result.findtext("tt:SearchState", namespaces=NS) == "Completed"
    events = [
        (
            r.findtext("tt:StartStateEvent", namespaces=NS),
            r.find(".//tt:Data/tt:SimpleItem", NS).get("Value"),
            when(r.findtext("tt:Time", namespaces=NS)),
        )
        for r in result.findall("tt:Result", NS)
    ]
    # No footage 41 days ago; footage from 40 days ago; a gap from 5 to 4.5 days ago.
    assert [(s, v) for s, v, _ in events] == [
        ("true", "false"),
        ("false", "true"),
        ("false", "false"),
        ("false", "true"),
    ]
    gap = events[3][2] - events[2][2]
    assert abs(gap - timedelta(hours=12)) < timedelta(seconds=2)
    assert all(
        r.findtext("wsnt:Topic", namespaces=NS) == "tns1:RecordingHistory/Track/State"
        for r in result.iter(f"{{{TT}}}Event")
    )


async def test_a_stuck_index_never_completes_and_searches_are_limited(schema: etree.XMLSchema) -> None:
    dev = recorder()
    assert dev.recordings is not None
    dev.recordings.search_hangs = True
    find = request(TSE, "FindRecordings", ("tse:Scope", ""), ("tse:KeepAliveTime", "PT10S"))
    tokens = [(await call(schema, dev, find)).findtext("tse:SearchToken", namespaces=NS) for _ in range(4)]
    page = request(TSE, "GetRecordingSearchResults", ("tse:SearchToken", tokens[0]), ("tse:WaitTime", "PT0S"))
    assert (await call(schema, dev, page)).findtext(
        "tse:ResultList/tt:SearchState", namespaces=NS
    ) == "Searching"
    with pytest.raises(SoapFault) as info:
        await call(schema, dev, find)  # a fifth search at once
    assert info.value.subcode == "ter:ResourceProblem"
    dev.behaviour.clock_skew_s = 11  # the searches' keep-alive has passed: they expire
    assert (await call(schema, dev, find)).findtext("tse:SearchToken", namespaces=NS)


def test_control_api_layouts() -> None:
    dev = SimDevice("ctl", port=10702)
    index = recording_index(
        dev, [{"days": 40, "gaps": [[10, 9]], "max_retention_days": 15}, {"days": 3, "status": "Stopped"}]
    )
    assert index is not None
    first, second = index.recordings
    assert [s.end is None for s in first.segments] == [False, True] and first.max_retention == timedelta(
        days=15
    )
    assert second.status == "Stopped" and second.segments[0].end is not None
    assert recording_index(dev, None) is None
    with pytest.raises(ValueError):
        recording_index(dev, {"days": 1})
    assert datetime.now(UTC) - first.segments[0].start > timedelta(days=39)
