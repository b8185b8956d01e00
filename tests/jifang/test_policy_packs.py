"""Both packs against the regulations as summarised in shared/OBLIGATIONS.md."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from jifang.policy import (
    PACKS_DIR,
    CategoryRetention,
    FindingRule,
    LocationType,
    SystemType,
    load_pack,
    load_policy_book,
)
from jifang.topics import ALARM_TOPIC, topic

OBLIGATIONS = Path(__file__).resolve().parents[3] / "shared" / "OBLIGATIONS.md"
book = load_policy_book()
HRB, KMG = book["harbin-2008"], book["kunming-2012"]


def obligations() -> str:
    if not OBLIGATIONS.exists():
        pytest.skip("shared/OBLIGATIONS.md is not beside the checkout")
    return OBLIGATIONS.read_text(encoding="utf-8")


def table_row(text: str, first_cell: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in OBLIGATIONS.md")


def test_every_pack_in_the_folder_loads() -> None:
    assert book.ids() == ["harbin-2008", "kunming-2012"]


def test_retention_days_match() -> None:
    row = table_row(obligations(), "keep footage at least")
    assert row[1] == "**15 days**, art. 20(7)" and (HRB.retention.days, HRB.retention.article) == (
        15,
        "art. 20(7)",
    )
    assert row[2] == "**30 days**, art. 19" and (KMG.retention.days, KMG.retention.article) == (30, "art. 19")


def test_mandated_place_counts_match() -> None:
    row = table_row(obligations(), "mandated places")
    assert "art. 7 (1)–(11)" in row[1] and "art. 6 (1)–(10)" in row[2]
    # Art. 7(10) is split (its entertainment venues carry another law's period): one item each.
    hrb_items = list(
        dict.fromkeys(c.article for c in HRB.place_categories if re.fullmatch(r"art\. 7\(\d+\)", c.article))
    )
    kmg_items = [c.article for c in KMG.place_categories if re.fullmatch(r"art\. 6\(\d+\)", c.article)]
    assert hrb_items == [f"art. 7({i})" for i in range(1, 12)]
    assert kmg_items == [f"art. 6({i})" for i in range(1, 11)]
    # HRB (1)-(9) also need intrusion alarm and access control; (10)-(11) video only.
    for c in HRB.place_categories[:9]:
        assert set(c.required.all_of) == {
            SystemType.VIDEO,
            SystemType.INTRUSION_ALARM,
            SystemType.ACCESS_CONTROL,
        }
    for c in HRB.place_categories[9:]:
        assert c.required.all_of == (SystemType.VIDEO,)


def test_forbidden_places_match() -> None:
    row = table_row(obligations(), "forbidden camera places")
    assert row[1].startswith("art. 19") and row[2].startswith("art. 7")
    assert HRB.forbidden_camera_places.article.startswith("art. 19")
    assert KMG.forbidden_camera_places.article == "art. 7"
    assert LocationType.GOVERNMENT_INTERNAL_OFFICE in HRB.forbidden_camera_places.location_types
    assert LocationType.NURSING_ROOM not in HRB.forbidden_camera_places.location_types
    assert LocationType.NURSING_ROOM in KMG.forbidden_camera_places.location_types
    assert LocationType.GOVERNMENT_INTERNAL_OFFICE not in KMG.forbidden_camera_places.location_types
    for common in ("hotel_guest_room", "fitting_room", "changing_room"):
        assert common in HRB.forbidden_camera_places.location_types
        assert common in KMG.forbidden_camera_places.location_types


def test_filing_rules_match() -> None:
    text = obligations()
    assert "30 days after acceptance" in table_row(text, "deadline")[1]
    assert "10 days after the project is completed" in table_row(text, "deadline")[2]
    assert (HRB.filing.party, HRB.filing.deadline.days, HRB.filing.deadline.from_) == (
        "unit",
        30,
        "acceptance",
    )
    assert (KMG.filing.party, KMG.filing.deadline.days, KMG.filing.deadline.from_) == (
        "firm",
        10,
        "completion",
    )
    assert [m.article for m in HRB.filing.materials] == [f"art. 15({i})" for i in range(1, 5)]
    assert HRB.filing.supplement is not None and HRB.filing.supplement.days == 10
    assert KMG.filing.materials == ()


def _ranges(cell: str) -> list[tuple[int, int]]:
    out = []
    for lo, hi in re.findall(r"¥([\d,]+)(?:–([\d,]+))?", cell):
        out.append((int(lo.replace(",", "")), int((hi or lo).replace(",", ""))))
    return out


@pytest.mark.parametrize(
    ("row", "pack", "key"),
    [
        ("HRB 26", "harbin-2008", "hrb-26"),
        ("HRB 27", "harbin-2008", "hrb-27"),
        ("HRB 28", "harbin-2008", "hrb-28"),
        ("HRB 29", "harbin-2008", "hrb-29"),
        ("HRB 30", "harbin-2008", "hrb-30"),
        ("KMG 24", "kunming-2012", "kmg-24"),
        ("KMG 25", "kunming-2012", "kmg-25"),
    ],
)
def test_penalty_ranges_match(row: str, pack: str, key: str) -> None:
    cells = table_row(obligations(), row)
    penalty = book[pack].penalties[key]
    fines = penalty.if_not_rectified or penalty.first_step.fines
    expected = _ranges(cells[2]) + _ranges(cells[3])
    assert sorted((f.min, f.max) for f in fines) == sorted(expected)


def test_findings_cite_what_the_issue_names() -> None:
    cite = HRB.finding_citations
    assert cite(FindingRule.MANDATED_SYSTEM_MISSING)[0] == ["HRB-2008 art. 7", "HRB-2008 art. 26"]
    assert cite(FindingRule.NETWORKING_REFUSED)[0] == ["HRB-2008 art. 9 para. 2", "HRB-2008 art. 28(1)"]
    assert cite(FindingRule.NETWORKING_MISSING) == (["HRB-2008 art. 9 para. 2"], None)
    assert cite(FindingRule.FILING_MISSING)[0] == ["HRB-2008 art. 14", "HRB-2008 art. 28(2)"]
    assert cite(FindingRule.UNCERTIFIED_PRODUCTS)[0] == ["HRB-2008 art. 12", "HRB-2008 art. 27(1)"]
    assert cite(FindingRule.RETENTION_SHORT)[0] == ["HRB-2008 art. 20(7)", "HRB-2008 art. 28(6)"]
    # Ruling 1: a deletion is a suspicion citing the duty; the penalty once an officer confirms.
    assert cite(FindingRule.RECORDS_DELETED_OR_ALTERED) == (["HRB-2008 art. 20(4)"], None)
    assert cite(FindingRule.RECORDS_DELETED_OR_ALTERED, confirmed=True) == (
        ["HRB-2008 art. 20(4)", "HRB-2008 art. 29"],
        "hrb-29",
    )
    assert KMG.finding_citations(FindingRule.RECORDS_DELETED_OR_ALTERED, confirmed=True) == (
        ["KMG-2012 art. 22(1)", "KMG-2012 art. 25"],
        "kmg-25",
    )
    for pack in (HRB, KMG):
        assert pack.is_suspicion(FindingRule.OPERATION_INTERRUPTED)
        assert not pack.is_suspicion(FindingRule.RETENTION_SHORT)
    assert KMG.finding_citations(FindingRule.USE_BEFORE_ACCEPTANCE)[0] == [
        "KMG-2012 art. 14 para. 2",
        "KMG-2012 art. 24",
    ]
    assert KMG.finding_citations(FindingRule.RETENTION_SHORT)[0] == ["KMG-2012 art. 19", "KMG-2012 art. 25"]
    assert FindingRule.USE_BEFORE_ACCEPTANCE not in HRB.findings


def test_residential_and_vehicle_duties_match() -> None:
    """HRB art. 8 has no penalty article; KMG's residential duty is art. 6(8), under art. 24."""
    row = table_row(obligations(), "residential")
    assert "**existing**" in row[1] and "**without** a system" in row[1] and "no penalty article" in row[1]
    assert HRB.residential.only_without_system and HRB.residential.article == "art. 8 para. 1"
    assert HRB.finding_citations(FindingRule.RESIDENTIAL_SYSTEM_MISSING) == (
        ["HRB-2008 art. 8 para. 1"],
        None,
    )
    assert row[2].startswith("art. 6(8)") and "punished under art. 24" in row[2]
    assert KMG.residential.article == "art. 6(8)" and not KMG.residential.only_without_system
    assert KMG.finding_citations(FindingRule.RESIDENTIAL_SYSTEM_MISSING, KMG.residential.article) == (
        ["KMG-2012 art. 6(8)", "KMG-2012 art. 24"],
        "kmg-24",
    )
    vehicles = table_row(obligations(), "vehicles")
    assert "no penalty article" in vehicles[1]
    assert HRB.finding_citations(FindingRule.VEHICLE_SYSTEM_MISSING) == (["HRB-2008 art. 8 para. 2"], None)
    assert vehicles[2] == "art. 6(5): cash escort vehicles" and KMG.vehicles.article == "art. 6(5)"


def test_public_areas_match() -> None:
    row = table_row(obligations(), "public roads, squares")
    assert "(art. 11): no unit finding" in row[1]
    roads = HRB.category("hrb-7-11")
    assert roads is not None and roads.built_by_government is not None
    assert roads.built_by_government.article == "art. 11"
    assert "art. 10 para 1" in row[2]
    duty = KMG.networking.connection_duty
    assert duty is not None and (duty.article, duty.applies_to) == ("art. 10 para. 1", "public_area")
    assert KMG.finding_citations(FindingRule.NETWORKING_MISSING, duty.article) == (
        ["KMG-2012 art. 10 para. 1"],
        None,
    )


def test_products_match() -> None:
    text = obligations()
    flat = " ".join(text.split())
    assert 'HRB art. 12 — "经检验**或**认证合格" (tested **or** certified)' in flat
    assert HRB.products.proof == "tested_or_certified" and HRB.products.article == "art. 12"
    assert "KMG art. 15 para 2 — products conforming to national" in flat
    assert "(no certification duty, and no penalty article)" in flat
    assert KMG.products.proof == "named_standard"
    assert KMG.finding_citations(FindingRule.PRODUCTS_NONCONFORMING) == (["KMG-2012 art. 15 para. 2"], None)


def test_inspection_rules_match() -> None:
    text = obligations()
    assert "(HRB 24: once a year" in text and "no interval and no deadline re-check in the text" in text
    assert HRB.inspection.once_per_calendar_year and HRB.inspection.recheck_article == "art. 25"
    assert KMG.inspection.article is None and KMG.inspection.recheck_article is None
    assert KMG.inspection.follow_up_article == "art. 23 para. 2"
    assert KMG.platform_defaults["inspection_interval_days"].platform_default
    assert HRB.next_inspection_due(dt.date(2025, 3, 1)) == dt.date(2026, 12, 31)
    assert KMG.next_inspection_due(dt.date(2025, 3, 1)) == dt.date(2026, 3, 1)


def test_platform_defaults_are_marked() -> None:
    for pack in (HRB, KMG):
        assert all(d.platform_default for d in pack.platform_defaults.values())
        assert pack.default("nvr_missed_heartbeats_offline") == 3


def test_kmg_24_fines_differ_for_business_units() -> None:
    fines = {f.unit_kind: (f.min, f.max) for f in KMG.penalties["kmg-24"].if_not_rectified}
    assert fines == {"non_business": (300, 1000), "business": (5000, 20000)}


def test_a_broken_pack_is_refused_at_load(tmp_path: Path) -> None:
    raw = yaml.safe_load((PACKS_DIR / "harbin-2008.yaml").read_text(encoding="utf-8"))
    raw["id"] = "broken-2030"
    raw["findings"]["mandated_system_missing"]["penalty"] = "hrb-99"
    path = tmp_path / "broken-2030.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown penalty hrb-99"):
        load_pack(path)
    raw["findings"]["mandated_system_missing"]["penalty"] = "hrb-26"
    raw["place_categories"][0]["required"] = {"all_of": ["teleporter"]}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_pack(path)


def test_adding_a_city_is_adding_a_file(tmp_path: Path) -> None:
    for p in PACKS_DIR.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    raw = yaml.safe_load((PACKS_DIR / "kunming-2012.yaml").read_text(encoding="utf-8"))
    raw.update(id="dali-2030", city="Dali", city_zh="大理市", citation_prefix="DL-2030")
    raw["retention"]["days"] = 90
    (tmp_path / "dali-2030.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    books = load_policy_book(tmp_path)
    assert books.ids() == ["dali-2030", "harbin-2008", "kunming-2012"]
    assert books["dali-2030"].retention.days == 90
    assert books["dali-2030"].cite("art. 7") == "DL-2030 art. 7"


def test_place_categories_map_between_cities() -> None:
    """A category maps only where the two truly correspond (issue 13 item 15): HRB art. 7(6)
    "机关、新闻出版、广播电视、电信、邮政等单位" has no Kunming match (KMG art. 6(6) is news and
    telecom, 6(3) only places with state secrets); what the place itself is decides."""
    bank = HRB.category("hrb-7-4")
    assert bank is not None
    assert KMG.equivalent_category(bank) is None  # gold and jewelry are not KMG art. 6(5)
    assert KMG.equivalent_category(bank, ["bank"]).code == "kmg-6-5"  # type: ignore[union-attr]
    organs = HRB.category("hrb-7-6")
    assert organs is not None and KMG.equivalent_category(organs) is None
    assert KMG.equivalent_category(organs, ["media"]).code == "kmg-6-6"  # type: ignore[union-attr]
    museum = KMG.category("kmg-6-4")
    assert museum is not None and HRB.equivalent_category(museum).code == "hrb-7-5"  # type: ignore[union-attr]
    gates = HRB.category("hrb-7-10")
    assert gates is not None and KMG.equivalent_category(gates).code == "kmg-6-8"  # type: ignore[union-attr]
    roads = HRB.category("hrb-7-11")
    assert roads is not None and KMG.equivalent_category(roads) is None  # split over 6(7), 6(8), 6(9)


def _citation_cell(pack_id: str, rule: FindingRule) -> str:
    pack = book[pack_id]
    if rule not in pack.findings:
        return "—"
    basis = pack.findings[rule]
    duty = ", ".join(basis.articles)
    if basis.penalty is None:
        return f"{duty}; no penalty"
    return f"{duty}; {basis.penalty_article or pack.penalties[basis.penalty].article}"


def test_the_readmes_table_of_finding_rules_is_the_packs() -> None:
    """The README's "Legal model" lists every finding rule with its duty and penalty articles
    in both cities, as the packs hold them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Legal model", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].strip("`"): cells[1:3]
        for line in section.splitlines()
        if line.startswith("| `")
        for cells in [[c.strip() for c in line.strip().strip("|").split("|")]]
    }
    assert set(rows) == {r.value for r in FindingRule}
    for rule in FindingRule:
        assert rows[rule.value] == [_citation_cell("harbin-2008", rule), _citation_cell("kunming-2012", rule)]


def test_other_laws_periods_match() -> None:
    """HRB art. 20(7): "妥善留存图像信息资料及其他记录资料不得少于15日，法律、法规另有规定的从其规定" —
    another law's period prevails either way; 娱乐场所管理条例 art. 15: 歌舞娱乐场所 keep 30 days.
    KMG art. 19 "留存时间不得少于30日" defers to nothing: only a longer period applies."""
    row = table_row(obligations(), "keep other records (alarm, access logs) as long")
    assert "either way" in row[1] and "娱乐场所管理条例 art. 15: 30 days for 歌舞娱乐场所" in row[1]
    assert HRB.retention.other_laws_prevail and not KMG.retention.other_laws_prevail
    venue = HRB.category("hrb-7-10-ent")
    assert venue is not None and venue.article == "art. 7(10)" and "entertainment" in venue.tags
    # What retention applies (its rules table is built from these; the judge applies each in
    # either direction: tests/services/retention/test_evaluation.py).
    applied = {c.category: (c.days, c.source) for c in HRB.retention.applicable_categories()}
    assert applied == {"hrb-7-10-ent": (30, "娱乐场所管理条例 art. 15")}
    shorter = {"category": "kmg-6-8", "days": 7, "source": "某法规 art. 1"}
    kmg = KMG.retention.model_copy(update={"categories": (CategoryRetention(**shorter),)})
    assert kmg.applicable_categories() == ()  # Kunming's minimum stands
    hrb = HRB.retention.model_copy(
        update={"categories": (CategoryRetention(**{**shorter, "category": "hrb-7-10"}),)}
    )
    assert [(c.category, c.days) for c in hrb.applicable_categories()] == [("hrb-7-10", 7)]  # Harbin defers


def test_alarms_are_kept_at_least_as_long_as_any_footage() -> None:
    """HRB art. 20(7) "图像信息资料及其他记录资料" and KMG art. 19 "其他相关记录资料": the alarms the
    platform receives are records too; they stay on their topic at least as long as the longest
    period any pack holds footage to (a place category's own period included)."""
    longest = max(
        max([p.retention.days, *(c.days for c in p.retention.applicable_categories())])
        for p in book.packs.values()
    )
    assert topic(ALARM_TOPIC).retention_ms >= longest * 86_400_000


def test_management_rules_match() -> None:
    """HRB art. 20: "（一）对技防系统操作人员、管理人员进行岗位技能和保密知识的培训；（二）建立安全检查、
    维护保养、应急处理等制度；（三）建立值班监看、资料管理、图像信息使用登记等制度"; art. 28(3) "未建立或者
    违反技防系统安全管理制度的" (the rules, 制度, of (2) and (3)). KMG art. 20: "（一）对操作人员、管理人员
    和维护人员进行岗位培训；（二）建立日常检查、安全管理和维护保养制度...（四）建立应急处理制度"; art. 21:
    "（一）建立值班监看、资料管理制度...（二）建立语音图像信息使用登记制度"; art. 25 covers 21, not 20."""
    row = table_row(obligations(), "training, inspection, maintenance, emergency, duty monitoring rules")
    assert row[1] == "art. 20(1)–(3), penalty 28(3)" and row[2].startswith("art. 20(1)(2)(4), 21(1)")
    assert [(r.code, r.article, r.penalty_applies) for r in HRB.management_rules] == [
        ("training", "art. 20(1)", False),
        ("inspection", "art. 20(2)", True),
        ("maintenance", "art. 20(2)", True),
        ("emergency", "art. 20(2)", True),
        ("duty_monitoring", "art. 20(3)", True),
        ("materials", "art. 20(3)", True),
        ("use_registration", "art. 20(3)", True),
    ]
    # The page names 21(1); the text's 21(2) asks for a rule too (使用登记制度): the text wins.
    assert [(r.code, r.article, r.penalty_applies) for r in KMG.management_rules] == [
        ("training", "art. 20(1)", False),
        ("inspection", "art. 20(2)", False),
        ("security_management", "art. 20(2)", False),
        ("maintenance", "art. 20(2)", False),
        ("emergency", "art. 20(4)", False),
        ("duty_monitoring", "art. 21(1)", True),
        ("materials", "art. 21(1)", True),
        ("use_registration", "art. 21(2)", True),
    ]
    assert HRB.management_rules_citations(["emergency", "training"]) == (
        ["HRB-2008 art. 20(1)", "HRB-2008 art. 20(2)", "HRB-2008 art. 28(3)"],
        "hrb-28",
    )
    assert HRB.management_rules_citations(["training"]) == (["HRB-2008 art. 20(1)"], None)
    assert KMG.management_rules_citations(["emergency"]) == (["KMG-2012 art. 20(4)"], None)
    assert KMG.management_rules_citations(["use_registration", "emergency"]) == (
        ["KMG-2012 art. 20(4)", "KMG-2012 art. 21(2)", "KMG-2012 art. 25"],
        "kmg-25",
    )


def test_a_pack_whose_case_cites_other_articles_than_its_rules_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load((PACKS_DIR / "kunming-2012.yaml").read_text(encoding="utf-8"))
    raw["id"] = "broken-2031"
    raw["findings"]["management_rules_missing"]["articles"] = ["art. 21(1)"]
    path = tmp_path / "broken-2031.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="must cite the rules' articles"):
        load_pack(path)
    raw["findings"]["management_rules_missing"] = {"articles": ["art. 20(1)"], "penalty": None}
    raw["management_rules"] = [r for r in raw["management_rules"] if r["article"] == "art. 20(1)"]
    raw["management_rules"][0]["penalty_applies"] = True
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="a penalty exactly where"):
        load_pack(path)
