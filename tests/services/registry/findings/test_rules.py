"""The finding rules as a pure function of a unit's records and its pack."""

from __future__ import annotations

import datetime as dt
import uuid

from jifang.policy import FindingRule, LocationType, SystemType, load_policy_book
from services.registry.findings.rules import UnitRecords, evaluate, filing_due_date
from services.registry.models import (
    Device,
    DeviceKind,
    FilingRecord,
    FilingStatus,
    Networking,
    Place,
    PlaceKind,
    SecurityAffiliation,
    TechSystem,
    Unit,
)

BOOK = load_policy_book()
HRB, KMG = BOOK["harbin-2008"], BOOK["kunming-2012"]
TODAY = dt.date(2026, 11, 23)


def unit(jurisdiction: str = "harbin-2008") -> Unit:
    return Unit(
        id=uuid.uuid4(),
        name="u",
        uscc="x",
        address="a",
        district="d",
        is_business=True,
        security_affiliation=SecurityAffiliation.CITY,
        jurisdiction=jurisdiction,
    )


def place(u: Unit, category: str | None, kind: PlaceKind = PlaceKind.SITE, **kw: object) -> Place:
    return Place(id=uuid.uuid4(), unit_id=u.id, name="p", kind=kind, category=category, **kw)


def system(u: Unit, t: SystemType, **kw: object) -> TechSystem:
    fields: dict[str, object] = {
        "networking": Networking.CONNECTED,
        "products": [],
        "in_use": False,
        "changed_since_filing": False,
        "acceptance_date": None,
        "completion_date": None,
    }
    fields.update(kw)
    return TechSystem(id=uuid.uuid4(), unit_id=u.id, name=t.value, system_type=t, **fields)


def rules(pack, rec: UnitRecords, today: dt.date = TODAY) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((v.rule.value, v.subject_key.split(":")[-1]) for v in evaluate(pack, rec, today))


def test_hrb_mandated_place_needs_all_three() -> None:
    u = unit()
    p = place(u, "hrb-7-1")
    v = system(u, SystemType.VIDEO)
    rec = UnitRecords(unit=u, places=[p], systems=[v], system_places={v.id: [p.id]})
    assert rules(HRB, rec) == [
        ("mandated_system_missing", "access_control"),
        ("mandated_system_missing", "intrusion_alarm"),
    ]


def test_hrb_entrance_category_needs_video_only() -> None:
    u = unit()
    p = place(u, "hrb-7-10")
    rec = UnitRecords(unit=u, places=[p])
    assert rules(HRB, rec) == [("mandated_system_missing", "video")]
    v = system(u, SystemType.VIDEO)
    assert rules(HRB, UnitRecords(unit=u, places=[p], systems=[v], system_places={v.id: [p.id]})) == []


def test_a_system_covering_another_place_does_not_count() -> None:
    u = unit()
    p, other = place(u, "hrb-7-10"), place(u, None)
    v = system(u, SystemType.VIDEO)
    assert rules(
        HRB, UnitRecords(unit=u, places=[p, other], systems=[v], system_places={v.id: [other.id]})
    ) == [("mandated_system_missing", "video")]


def test_kmg_any_system_satisfies_art_6() -> None:
    u = unit("kunming-2012")
    p = place(u, "kmg-6-5")
    assert rules(KMG, UnitRecords(unit=u, places=[p])) == [("mandated_system_missing", "any")]
    a = system(u, SystemType.ACCESS_CONTROL)
    assert rules(KMG, UnitRecords(unit=u, places=[p], systems=[a], system_places={a.id: [p.id]})) == []


def test_residential_and_vehicles() -> None:
    u = unit()
    home = place(u, None, PlaceKind.RESIDENTIAL)
    truck = place(u, None, PlaceKind.VEHICLE, vehicle_category="hazardous_goods")
    assert rules(HRB, UnitRecords(unit=u, places=[home, truck])) == [
        ("mandated_system_missing", "anti_theft_door"),
        ("mandated_system_missing", "building_intercom"),
        ("mandated_system_missing", "vehicle_tracking"),
    ]


def test_networking_refused_only_for_mandated_video_in_harbin() -> None:
    u = unit()
    mandated, plain = place(u, "hrb-7-10"), place(u, None)
    v1 = system(u, SystemType.VIDEO, networking=Networking.REFUSED)
    v2 = system(u, SystemType.VIDEO, networking=Networking.REFUSED)
    rec = UnitRecords(
        unit=u,
        places=[mandated, plain],
        systems=[v1, v2],
        system_places={v1.id: [mandated.id], v2.id: [plain.id]},
    )
    found = evaluate(HRB, rec, TODAY)
    assert [(v.rule, v.subject_id) for v in found] == [(FindingRule.NETWORKING_REFUSED, v1.id)]
    assert found[0].articles == ("HRB-2008 art. 9", "HRB-2008 art. 28(1)")


def test_kunming_requires_the_interface_reserved_for_every_video_system() -> None:
    u = unit("kunming-2012")
    v = system(u, SystemType.VIDEO, networking=Networking.NOT_CONNECTED)
    assert rules(KMG, UnitRecords(unit=u, systems=[v])) == [("networking_refused", str(v.id))]
    v.networking = Networking.INTERFACE_RESERVED
    assert rules(KMG, UnitRecords(unit=u, systems=[v])) == []


def test_filing_deadline_counts_calendar_days_from_acceptance() -> None:
    u = unit()
    s = system(u, SystemType.VIDEO, acceptance_date=dt.date(2026, 10, 24))
    assert filing_due_date(HRB, s) == dt.date(2026, 11, 23)
    rec = UnitRecords(unit=u, systems=[s])
    assert rules(HRB, rec, dt.date(2026, 11, 23)) == []  # due today: not late yet
    assert rules(HRB, rec, dt.date(2026, 11, 24)) == [("filing_missing", str(s.id))]


def test_systems_existing_before_the_regulation_had_30_days_from_it() -> None:
    s = system(unit(), SystemType.VIDEO, acceptance_date=dt.date(2005, 3, 1))
    assert filing_due_date(HRB, s) == dt.date(2008, 8, 9)


def test_kmg_filing_runs_from_completion() -> None:
    s = system(unit("kunming-2012"), SystemType.VIDEO, completion_date=dt.date(2026, 11, 1))
    assert filing_due_date(KMG, s) == dt.date(2026, 11, 11)


def test_filed_incomplete_and_changed_systems() -> None:
    u = unit()
    s = system(u, SystemType.VIDEO, acceptance_date=dt.date(2026, 1, 1))
    f = FilingRecord(
        id=uuid.uuid4(),
        unit_id=u.id,
        status=FilingStatus.INCOMPLETE,
        supplement_deadline=dt.date(2026, 11, 30),
        missing_materials=["layout_plan"],
    )
    rec = UnitRecords(unit=u, systems=[s], filings=[f], filing_systems={f.id: [s.id]})
    assert rules(HRB, rec) == []  # within the supplement period
    assert rules(HRB, rec, dt.date(2026, 12, 1)) == [("filing_incomplete", str(s.id))]
    f.status = FilingStatus.FILED
    assert rules(HRB, rec) == []
    s.changed_since_filing = True
    assert rules(HRB, rec) == [("refiling_required", str(s.id))]
    s.design_review_date = dt.date(2025, 12, 1)
    assert (
        rules(
            KMG,
            UnitRecords(unit=unit("kunming-2012"), systems=[s], filings=[f], filing_systems={f.id: [s.id]}),
        )
        == []
    )  # KMG has no art. 17


def test_uncertified_products_and_use_before_acceptance() -> None:
    u = unit("kunming-2012")
    s = system(
        u,
        SystemType.INTRUSION_ALARM,
        in_use=True,
        products=[{"name": "探测器", "certificate_no": None}, {"name": "主机", "certificate_no": "C1"}],
    )
    found = {v.rule: v for v in evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY)}
    assert set(found) == {FindingRule.UNCERTIFIED_PRODUCTS, FindingRule.USE_BEFORE_ACCEPTANCE}
    assert "探测器" in found[FindingRule.UNCERTIFIED_PRODUCTS].detail
    assert found[FindingRule.USE_BEFORE_ACCEPTANCE].articles == (
        "KMG-2012 art. 14 para. 2",
        "KMG-2012 art. 24",
    )
    # Harbin has no use-before-acceptance rule.
    assert [v.rule for v in evaluate(HRB, UnitRecords(unit=unit(), systems=[s]), TODAY)] == [
        FindingRule.UNCERTIFIED_PRODUCTS
    ]


def test_cameras_already_in_places_the_city_forbids() -> None:
    u = unit("kunming-2012")
    cam = Device(
        id=uuid.uuid4(),
        unit_id=u.id,
        kind=DeviceKind.CAMERA,
        name="c",
        location_type=LocationType.NURSING_ROOM,
    )
    assert rules(KMG, UnitRecords(unit=u, cameras=[cam])) == [("forbidden_camera_place", str(cam.id))]
    assert rules(HRB, UnitRecords(unit=unit(), cameras=[cam])) == []


def test_kmg_acceptance_without_design_review() -> None:
    u = unit("kunming-2012")
    s = system(
        u, SystemType.VIDEO, networking=Networking.INTERFACE_RESERVED, acceptance_date=dt.date(2026, 11, 20)
    )
    found = evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY)
    assert [(v.rule, v.articles, v.penalty) for v in found] == [
        (FindingRule.DESIGN_REVIEW_MISSING, ("KMG-2012 art. 14 para. 1",), None)
    ]
    s.design_review_date = dt.date(2026, 6, 1)
    assert evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY) == []
    s.design_review_date = None
    assert evaluate(HRB, UnitRecords(unit=unit(), systems=[s]), TODAY) == []  # not a Harbin rule
