"""The finding rules as a pure function of a unit's records and its pack."""

from __future__ import annotations

import datetime as dt
import uuid

from jifang.policy import FindingRule, SystemType, load_policy_book
from services.registry.findings.rules import UnitRecords, evaluate, filing_due_date
from services.registry.models import (
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


def test_hrb_mandated_place_lacking_two_systems_is_one_case() -> None:
    """HRB art. 7: "其中（一）至（九）项所列单位、场所或部位还应当分别建立入侵报警系统、出入口控制系统等
    技防系统"; art. 26 punishes the place that "未建立技防系统": one breach, one case (ruling 2)."""
    u = unit()
    p = place(u, "hrb-7-1")
    v = system(u, SystemType.VIDEO)
    rec = UnitRecords(unit=u, places=[p], systems=[v], system_places={v.id: [p.id]})
    [found] = evaluate(HRB, rec, TODAY)
    assert (found.rule, found.subject_key) == (FindingRule.MANDATED_SYSTEM_MISSING, f"place:{p.id}")
    assert (
        "入侵报警系统 (intrusion_alarm)" in found.detail and "出入口控制系统 (access_control)" in found.detail
    )
    assert found.articles == ("HRB-2008 art. 7(1)", "HRB-2008 art. 26") and found.penalty == "hrb-26"


def test_the_tech_office_may_exempt_a_listed_type_but_not_video() -> None:
    """HRB art. 7 ends its list in 等 (ruling 5): a type the office records as not applying to
    the place is no longer asked for; video ("应当建立视频安防监控系统") always is."""
    u = unit()
    p = place(u, "hrb-7-4", exemptions={"access_control": {"reason": "r"}})
    assert rules(HRB, UnitRecords(unit=u, places=[p])) == [("mandated_system_missing", str(p.id))]
    [found] = evaluate(HRB, UnitRecords(unit=u, places=[p]), TODAY)
    assert (
        "access_control" not in found.detail and "intrusion_alarm" in found.detail and "video" in found.detail
    )
    v, a = system(u, SystemType.VIDEO), system(u, SystemType.INTRUSION_ALARM)
    rec = UnitRecords(unit=u, places=[p], systems=[v, a], system_places={v.id: [p.id], a.id: [p.id]})
    assert evaluate(HRB, rec, TODAY) == []


def test_hrb_entrance_category_needs_video_only() -> None:
    u = unit()
    p = place(u, "hrb-7-10")
    rec = UnitRecords(unit=u, places=[p])
    assert rules(HRB, rec) == [("mandated_system_missing", str(p.id))]
    v = system(u, SystemType.VIDEO)
    assert rules(HRB, UnitRecords(unit=u, places=[p], systems=[v], system_places={v.id: [p.id]})) == []


def test_hrb_roads_and_squares_are_built_by_government_not_by_a_unit() -> None:
    """HRB art. 11: "城市主要街路、治安卡口 ... 广场、人员聚集地段的技防系统，由市、区、县（市）人民政府
    负责投资建设和维护": no art. 26 case against a unit for an art. 7(11) place."""
    u = unit()
    assert evaluate(HRB, UnitRecords(unit=u, places=[place(u, "hrb-7-11")]), TODAY) == []


def test_a_system_covering_another_place_does_not_count() -> None:
    u = unit()
    p, other = place(u, "hrb-7-10"), place(u, None)
    v = system(u, SystemType.VIDEO)
    assert rules(
        HRB, UnitRecords(unit=u, places=[p, other], systems=[v], system_places={v.id: [other.id]})
    ) == [("mandated_system_missing", str(p.id))]


def test_kmg_any_system_satisfies_art_6() -> None:
    u = unit("kunming-2012")
    p = place(u, "kmg-6-5")
    assert rules(KMG, UnitRecords(unit=u, places=[p])) == [("mandated_system_missing", str(p.id))]
    a = system(u, SystemType.ACCESS_CONTROL)
    assert rules(KMG, UnitRecords(unit=u, places=[p], systems=[a], system_places={a.id: [p.id]})) == []


def test_hrb_art_8_binds_residential_areas_without_a_system_and_has_no_penalty() -> None:
    """HRB art. 8 para. 1: "未建立技防系统的现有居民住宅楼或住宅区，应当安装楼宇对讲系统、防盗安全门";
    para. 2: "金融押运车、危险物品运输专用车 ... 应当安装跟踪定位系统". No article punishes art. 8
    (art. 26 names only art. 7's places): the findings cite the duty, penalty null."""
    u = unit()
    home = place(u, None, PlaceKind.RESIDENTIAL)
    truck = place(u, None, PlaceKind.VEHICLE, vehicle_category="hazardous_goods")
    found = {v.rule: v for v in evaluate(HRB, UnitRecords(unit=u, places=[home, truck]), TODAY)}
    assert set(found) == {FindingRule.RESIDENTIAL_SYSTEM_MISSING, FindingRule.VEHICLE_SYSTEM_MISSING}
    res = found[FindingRule.RESIDENTIAL_SYSTEM_MISSING]
    assert res.articles == ("HRB-2008 art. 8 para. 1",) and res.penalty is None
    assert "楼宇对讲系统" in res.detail and "防盗安全门" in res.detail
    veh = found[FindingRule.VEHICLE_SYSTEM_MISSING]
    assert veh.articles == ("HRB-2008 art. 8 para. 2",) and veh.penalty is None
    # A residential area that has video has "建立技防系统": no intercom or door finding.
    v = system(u, SystemType.VIDEO)
    rec = UnitRecords(unit=u, places=[home], systems=[v], system_places={v.id: [home.id]})
    assert evaluate(HRB, rec, TODAY) == []


def test_kmg_residential_duty_is_art_6_8_punished_under_art_24() -> None:
    """KMG art. 6(8): "...居民住宅区的出入口、主要通道等重要部位" must have a system; art. 24:
    "违反本规定第六条...由公安机关责令限期改正". Art. 10 para. 3 only says who builds and pays."""
    u = unit("kunming-2012")
    home = place(u, None, PlaceKind.RESIDENTIAL)
    [found] = evaluate(KMG, UnitRecords(unit=u, places=[home]), TODAY)
    assert found.rule == FindingRule.RESIDENTIAL_SYSTEM_MISSING
    assert found.articles == ("KMG-2012 art. 6(8)", "KMG-2012 art. 24") and found.penalty == "kmg-24"


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
    assert found[0].articles == ("HRB-2008 art. 9 para. 2", "HRB-2008 art. 28(1)")


def test_kunming_requires_the_interface_reserved_for_every_video_system() -> None:
    u = unit("kunming-2012")
    v = system(u, SystemType.VIDEO, networking=Networking.NOT_CONNECTED)
    assert rules(KMG, UnitRecords(unit=u, systems=[v])) == [("networking_refused", str(v.id))]
    v.networking = Networking.INTERFACE_RESERVED
    assert rules(KMG, UnitRecords(unit=u, systems=[v])) == []


def test_hrb_art_7_video_not_connected_breaches_art_9_without_a_penalty() -> None:
    """HRB art. 9 para. 2: "本办法第七条所列单位、场所或部位建立的视频安防监控系统，应当与公安机关城市报警
    与监控系统平台联网": not connected is a finding of the duty (no penalty); only a refusal is
    art. 28(1) "拒绝与公安机关联网", recorded by an officer."""
    u = unit()
    p = place(u, "hrb-7-10")
    v = system(u, SystemType.VIDEO, networking=Networking.NOT_CONNECTED)
    rec = UnitRecords(unit=u, places=[p], systems=[v], system_places={v.id: [p.id]})
    [found] = evaluate(HRB, rec, TODAY)
    assert found.rule == FindingRule.NETWORKING_MISSING
    assert found.articles == ("HRB-2008 art. 9 para. 2",) and found.penalty is None
    v.networking = Networking.REFUSED
    [found] = evaluate(HRB, rec, TODAY)
    assert found.rule == FindingRule.NETWORKING_REFUSED
    assert found.articles == ("HRB-2008 art. 9 para. 2", "HRB-2008 art. 28(1)")


def test_kmg_public_area_system_must_connect_once_built() -> None:
    """KMG art. 10 para. 1: "...道路、治安复杂地段、城际出入口、广场等公共场所和区域的技防系统 ...
    系统建设完成后应当连入属地公安机关" — no penalty article; one system, one case."""
    u = unit("kunming-2012")
    road = place(u, "kmg-6-9")
    v = system(u, SystemType.VIDEO, networking=Networking.INTERFACE_RESERVED)
    rec = UnitRecords(unit=u, places=[road], systems=[v], system_places={v.id: [road.id]})
    [found] = evaluate(KMG, rec, TODAY)
    assert found.rule == FindingRule.NETWORKING_MISSING
    assert found.articles == ("KMG-2012 art. 10 para. 1",) and found.penalty is None
    v.networking = Networking.CONNECTED
    assert evaluate(KMG, rec, TODAY) == []


def test_filing_deadline_counts_calendar_days_from_acceptance() -> None:
    u = unit()
    s = system(u, SystemType.VIDEO, acceptance_date=dt.date(2026, 10, 24))
    assert filing_due_date(HRB, s) == dt.date(2026, 11, 23)
    rec = UnitRecords(unit=u, systems=[s])
    assert rules(HRB, rec, dt.date(2026, 11, 23)) == []  # due today: not late yet
    assert rules(HRB, rec, dt.date(2026, 11, 24)) == [("filing_missing", str(s.id))]


def test_systems_built_before_the_regulation_had_30_days_from_it() -> None:
    """HRB art. 14 para. 2: "本办法施行前已建成的技防系统的使用单位，应当自本办法施行之日起30日内 ...
    备案" — keyed on when the system was built, whether or when it was accepted."""
    s = system(unit(), SystemType.VIDEO, acceptance_date=dt.date(2005, 3, 1))
    assert filing_due_date(HRB, s) == dt.date(2008, 8, 9)
    built_then = system(unit(), SystemType.VIDEO, completion_date=dt.date(2008, 6, 1))
    assert filing_due_date(HRB, built_then) == dt.date(2008, 8, 9)  # never accepted
    built_then.acceptance_date = dt.date(2008, 9, 1)  # accepted after the regulation began
    assert filing_due_date(HRB, built_then) == dt.date(2008, 8, 9)
    built_after = system(
        unit(), SystemType.VIDEO, completion_date=dt.date(2008, 8, 1), acceptance_date=dt.date(2008, 9, 1)
    )
    assert filing_due_date(HRB, built_after) == dt.date(2008, 10, 1)


def test_kmg_filing_runs_from_completion() -> None:
    s = system(unit("kunming-2012"), SystemType.VIDEO, completion_date=dt.date(2026, 11, 1))
    assert filing_due_date(KMG, s) == dt.date(2026, 11, 11)


def test_filed_incomplete_and_changed_systems() -> None:
    u = unit()
    s = system(u, SystemType.VIDEO, acceptance_date=dt.date(2026, 1, 1))
    f = FilingRecord(
        id=uuid.uuid4(),
        unit_id=u.id,
        status=FilingStatus.RETURNED,
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


def test_kmg_products_name_a_standard_and_use_before_acceptance() -> None:
    """KMG art. 15 para. 2: "应当使用符合国家和省的标准、行业标准或者地方标准的技防产品" (no penalty
    article); art. 14 para. 2: "未经验收或者验收不合格的技防系统，不得投入使用" (art. 24)."""
    u = unit("kunming-2012")
    s = system(
        u,
        SystemType.INTRUSION_ALARM,
        in_use=True,
        products=[{"name": "探测器", "certificate_no": "C0"}, {"name": "主机", "standard": "GB 12663-2019"}],
    )
    found = {v.rule: v for v in evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY)}
    assert set(found) == {FindingRule.PRODUCTS_NONCONFORMING, FindingRule.USE_BEFORE_ACCEPTANCE}
    assert "探测器" in found[FindingRule.PRODUCTS_NONCONFORMING].detail
    assert "主机" not in found[FindingRule.PRODUCTS_NONCONFORMING].detail
    assert found[FindingRule.PRODUCTS_NONCONFORMING].articles == ("KMG-2012 art. 15 para. 2",)
    assert found[FindingRule.PRODUCTS_NONCONFORMING].penalty is None
    assert found[FindingRule.USE_BEFORE_ACCEPTANCE].articles == (
        "KMG-2012 art. 14 para. 2",
        "KMG-2012 art. 24",
    )


def test_hrb_products_tested_or_certified() -> None:
    """HRB art. 12: "技防工程所采用的技防产品 ... 并经检验或认证合格" — a test report or a certificate;
    art. 27(1) punishes "使用未经检验或认证合格的技防产品"."""
    u = unit()
    s = system(
        u,
        SystemType.INTRUSION_ALARM,
        products=[
            {"name": "探测器", "test_report_no": "T-2026-7"},
            {"name": "主机", "certificate_no": "C1"},
            {"name": "键盘"},
        ],
    )
    [found] = evaluate(HRB, UnitRecords(unit=u, systems=[s]), TODAY)
    assert found.rule == FindingRule.UNCERTIFIED_PRODUCTS
    assert found.detail.endswith(": 键盘")
    assert found.articles == ("HRB-2008 art. 12", "HRB-2008 art. 27(1)")
    # Harbin has no use-before-acceptance rule.
    s.in_use = True
    assert [v.rule for v in evaluate(HRB, UnitRecords(unit=u, systems=[s]), TODAY)] == [
        FindingRule.UNCERTIFIED_PRODUCTS
    ]


def test_kmg_acceptance_without_notifying_the_office() -> None:
    """KMG art. 14 para. 1: "技防系统竣工验收时，应当通知公安机关技防管理机构参加" — the acceptance
    record says whether it was; not notified is a finding of the duty (no penalty article)."""
    u = unit("kunming-2012")
    s = system(
        u,
        SystemType.VIDEO,
        acceptance_date=dt.date(2026, 10, 1),
        design_review_date=dt.date(2026, 9, 1),
        acceptance_police_notified=False,
    )
    found = [
        v
        for v in evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY)
        if v.rule != FindingRule.FILING_MISSING
    ]
    assert [(v.rule, v.articles, v.penalty) for v in found] == [
        (FindingRule.ACCEPTANCE_POLICE_NOT_NOTIFIED, ("KMG-2012 art. 14 para. 1",), None)
    ]
    s.acceptance_police_notified = None  # not recorded: the platform cannot tell, so says nothing
    assert [
        v
        for v in evaluate(KMG, UnitRecords(unit=u, systems=[s]), TODAY)
        if v.rule != FindingRule.FILING_MISSING
    ] == []
    s.acceptance_police_notified = False
    assert FindingRule.ACCEPTANCE_POLICE_NOT_NOTIFIED not in {
        v.rule for v in evaluate(HRB, UnitRecords(unit=unit(), systems=[s]), TODAY)
    }
