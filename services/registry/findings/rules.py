"""What the registry finds wrong with a unit: a pure function of its records and its pack.

Kept free of I/O so that the rules are tested directly and evaluated in bulk
(thousands of units per recomputation).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from jifang.policy import FindingRule, PolicyPack, Requirement, SystemType
from services.registry.models import (
    Device,
    DeviceKind,
    FilingRecord,
    FilingStatus,
    Firm,
    FirmProject,
    Inspection,
    LiableParty,
    Place,
    PlaceKind,
    ProjectKind,
    TechSystem,
    Unit,
)
from services.registry.offices import project_office


@dataclass(frozen=True)
class Liable:
    """Who answers for a finding: the unit, or a firm (KMG art. 16), by its registry id, name
    and code; a firm the registry does not know (a system's installer as recorded) by name only."""

    party: LiableParty = LiableParty.UNIT
    firm_id: uuid.UUID | None = None
    name: str | None = None
    uscc: str | None = None

    @classmethod
    def firm(cls, firm: Firm) -> Liable:
        return cls(LiableParty.FIRM, firm.id, firm.name, firm.uscc)


THE_UNIT = Liable()


@dataclass(frozen=True)
class Violation:
    rule: FindingRule
    subject_type: str
    subject_id: uuid.UUID | None
    subject_key: str
    articles: tuple[str, ...]
    penalty: str | None
    detail: str
    liable: Liable = THE_UNIT


@dataclass
class UnitRecords:
    unit: Unit
    places: list[Place] = field(default_factory=list)
    systems: list[TechSystem] = field(default_factory=list)
    system_places: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    filings: list[FilingRecord] = field(default_factory=list)
    filing_systems: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    cameras: list[Device] = field(default_factory=list)
    # The unit's last inspection record that found its management rules, and the documents of
    # each kind on file now (kind -> the current version's id).
    rules_inspection: Inspection | None = None
    rule_documents: dict[str, uuid.UUID] = field(default_factory=dict)
    # Firms' projects on the unit's systems, and the firms (KMG art. 16).
    projects: list[FirmProject] = field(default_factory=list)
    firms: dict[uuid.UUID, Firm] = field(default_factory=dict)


def _violation(
    pack: PolicyPack,
    rule: FindingRule,
    subject_type: str,
    subject_id: uuid.UUID | None,
    key: str,
    detail: str,
    duty_article: str | None = None,
    liable: Liable = THE_UNIT,
) -> Violation | None:
    if rule not in pack.findings:
        return None  # this city's law has no such rule
    articles, penalty = pack.finding_citations(rule, duty_article)
    return Violation(rule, subject_type, subject_id, key, tuple(articles), penalty, detail, liable)


@dataclass(frozen=True)
class _Duty:
    """What a place must have, under which rule and article, and what it is called."""

    rule: FindingRule
    required: Requirement
    article: str
    what: str
    # HRB art. 8 para. 1: binds only an area without any system.
    only_without_system: bool = False


def _duty(pack: PolicyPack, place: Place) -> _Duty | None:
    """The duty a place is under, if the law covers it and a unit answers for it."""
    if place.kind == PlaceKind.SITE and place.category:
        cat = pack.category(place.category)
        if cat and cat.built_by_government is None:
            rule = FindingRule.MANDATED_SYSTEM_MISSING
            return _Duty(rule, cat.required, cat.article, f"mandated place {cat.code}")
    if place.kind == PlaceKind.RESIDENTIAL:
        res = pack.residential
        return _Duty(
            FindingRule.RESIDENTIAL_SYSTEM_MISSING,
            res.required,
            res.article,
            "residential area",
            res.only_without_system,
        )
    if place.kind == PlaceKind.VEHICLE and place.vehicle_category:
        veh = next((v for v in pack.vehicles.categories if v.code == place.vehicle_category), None)
        if veh:
            rule = FindingRule.VEHICLE_SYSTEM_MISSING
            return _Duty(rule, veh.required, pack.vehicles.article, f"vehicle ({veh.code})")
    return None


def evaluate(pack: PolicyPack, rec: UnitRecords, today: dt.date) -> list[Violation]:
    types_by_place: dict[uuid.UUID, set[SystemType]] = {}
    for system in rec.systems:
        for pid in rec.system_places.get(system.id, ()):
            types_by_place.setdefault(pid, set()).add(system.system_type)
    places = {p.id: p for p in rec.places}
    out: list[Violation | None] = []
    for place in rec.places:
        out.append(_place_violation(pack, place, types_by_place.get(place.id, set())))
    for system in rec.systems:
        covered = [places[p] for p in rec.system_places.get(system.id, []) if p in places]
        out.append(_networking_violation(pack, system, covered))
        out.extend(_system_violations(pack, system))
    # Filing (HRB art. 14/16/17 + 28(2); KMG art. 16).
    filed, returned = filing_progress(rec)
    for duty in filing_duties(pack, rec):
        out.extend(_filing_violations(pack, duty, filed, returned, today))
    out.extend(_camera_violations(pack, cam) for cam in rec.cameras)
    out.append(_management_rules_violation(pack, rec))
    return [v for v in out if v is not None]


def _outstanding(entry: dict[str, Any], on_file: dict[str, uuid.UUID]) -> bool:
    """A rule the inspection found wanting and not corrected since: missing then and still
    not on file, or inadequate then and the same document still the one on file."""
    current = on_file.get(entry["kind"])
    status: str = entry["status"]
    if status == "missing":
        return current is None
    return status == "inadequate" and str(current) == entry["document_id"]


def _management_rules_violation(pack: PolicyPack, rec: UnitRecords) -> Violation | None:
    """The unit's management rules missing or inadequate at its last inspection and not
    corrected since by a document uploaded after it: one case per unit listing every one
    (ruling 2), citing the duty articles of all the inspection found and the penalty only
    where it covers one of them (HRB art. 20(1)-(3), 28(3); KMG art. 20, 21(1)-(2), 25)."""
    inspection = rec.rules_inspection
    if inspection is None or FindingRule.MANAGEMENT_RULES_MISSING not in pack.findings:
        return None
    found = [
        e
        for e in inspection.management_rules or []
        if e["status"] != "on_file" and pack.management_rule(e["kind"]) is not None
    ]
    outstanding = [e for e in found if _outstanding(e, rec.rule_documents)]
    if not outstanding:
        return None
    articles, penalty = pack.management_rules_citations([e["kind"] for e in found])
    return Violation(
        FindingRule.MANAGEMENT_RULES_MISSING,
        "unit",
        rec.unit.id,
        f"unit:{rec.unit.id}",
        tuple(articles),
        penalty,
        f"management rules found wanting at the inspection of {inspection.inspected_on.isoformat()} "
        f"and not corrected since: {_rules_wanting(outstanding)}",
    )


def _rules_wanting(outstanding: list[dict[str, Any]]) -> str:
    missing = [f"{e['name']} ({e['kind']})" for e in outstanding if e["status"] == "missing"]
    inadequate = [
        f"{e['name']} ({e['kind']}: {e['note']})" for e in outstanding if e["status"] == "inadequate"
    ]
    parts = [f"not on file: {', '.join(missing)}"] if missing else []
    if inadequate:
        parts.append(f"on file but inadequate: {'; '.join(inadequate)}")
    return "; ".join(parts)


def exempt_types(place: Place) -> set[str]:
    """The system types the tech office recorded as not applying to the place."""
    return set(place.exemptions or {})


def _place_violation(pack: PolicyPack, place: Place, present: set[SystemType]) -> Violation | None:
    """A place lacking what its duty requires: one case per place and duty, listing every
    missing type (HRB art. 7 + 26, art. 8; KMG art. 6 + 24). Ruling 2: one breach, one case."""
    duty = _duty(pack, place)
    if duty is None or (duty.only_without_system and present):
        return None
    exempt = exempt_types(place)
    missing = [t for t in duty.required.missing(present) if t not in exempt]
    if not missing:
        return None
    names = ", ".join(f"{pack.system_types[t].name} ({t})" for t in missing)
    if duty.required.all_of:
        detail = f"{place.name} ({duty.what}) has no {names}"
    else:
        detail = f"{place.name} ({duty.what}) has no technical-prevention system (one of: {names})"
    return _violation(pack, duty.rule, "place", place.id, f"place:{place.id}", detail, duty.article)


def _networking_violation(pack: PolicyPack, system: TechSystem, covered: list[Place]) -> Violation | None:
    """A video system not networked with the police: refused (HRB art. 9 + 28(1); KMG art. 13),
    or not connected where a duty without a penalty asks it (HRB art. 9 para. 2 for art. 7
    places; KMG art. 10 para. 1 for public areas). One system, one case."""
    if system.system_type != SystemType.VIDEO:
        return None
    status = system.networking.value
    duty = pack.networking.connection_duty
    if (
        duty is not None
        and status in duty.statuses
        and _duty_covers(pack, duty.applies_to, duty.categories, covered)
    ):
        return _violation(
            pack,
            FindingRule.NETWORKING_MISSING,
            "system",
            system.id,
            f"system:{system.id}",
            f"video system {system.name!r} is {status}; {pack.cite(duty.article)} requires it to be "
            "connected to the police platform",
            duty.article,
        )
    rule = pack.networking
    if status not in rule.violation_statuses or not _duty_covers(pack, rule.applies_to, (), covered):
        return None
    return _violation(
        pack,
        FindingRule.NETWORKING_REFUSED,
        "system",
        system.id,
        f"system:{system.id}",
        f"video system {system.name!r} is {status}; the law requires {rule.required_status}",
    )


def _duty_covers(
    pack: PolicyPack, applies_to: str, categories: tuple[str, ...], covered: list[Place]
) -> bool:
    if applies_to == "all_video":
        return True
    if applies_to == "public_area":
        return any(p.kind == PlaceKind.SITE and p.category in categories for p in covered)
    # mandated_video: a system of a place the unit must equip (not a government-built one).
    return any(p.kind == PlaceKind.SITE and _duty(pack, p) is not None for p in covered)


def _system_violations(pack: PolicyPack, system: TechSystem) -> list[Violation | None]:
    out: list[Violation | None] = []
    key = f"system:{system.id}"
    out.append(_product_violation(pack, system))
    # Accepted without a reviewed design plan (KMG art. 14 para. 1).
    if system.acceptance_date is not None and system.design_review_date is None:
        out.append(
            _violation(
                pack,
                FindingRule.DESIGN_REVIEW_MISSING,
                "system",
                system.id,
                key,
                f"system {system.name!r} was accepted without a reviewed design plan",
            )
        )
    # The office not notified to attend the acceptance (KMG art. 14 para. 1), as the record says.
    if system.acceptance_date is not None and system.acceptance_police_notified is False:
        out.append(
            _violation(
                pack,
                FindingRule.ACCEPTANCE_POLICE_NOT_NOTIFIED,
                "system",
                system.id,
                key,
                f"system {system.name!r} was accepted without notifying the tech office to attend",
            )
        )
    # Use before acceptance (KMG art. 14 para. 2 + 24).
    if system.in_use and system.acceptance_date is None:
        out.append(
            _violation(
                pack,
                FindingRule.USE_BEFORE_ACCEPTANCE,
                "system",
                system.id,
                key,
                f"system {system.name!r} is in use but has not passed acceptance",
            )
        )
    return out


def _product_violation(pack: PolicyPack, system: TechSystem) -> Violation | None:
    """Products without the proof the pack asks: HRB art. 12 "经检验或认证合格" (a test report or
    a certificate; art. 27(1)); KMG art. 15 para. 2, a standard it conforms to (no penalty)."""
    products = system.products or []
    if pack.products.proof == "tested_or_certified":
        lacking = [p for p in products if not (p.get("certificate_no") or p.get("test_report_no"))]
        rule, proof = FindingRule.UNCERTIFIED_PRODUCTS, "neither a test report nor a certificate"
    else:
        lacking = [p for p in products if not p.get("standard")]
        rule, proof = FindingRule.PRODUCTS_NONCONFORMING, "no standard it conforms to"
    if not lacking:
        return None
    names = ", ".join(p.get("name", "?") for p in lacking)
    return _violation(
        pack,
        rule,
        "system",
        system.id,
        f"system:{system.id}",
        f"system {system.name!r} uses products with {proof}: {names}",
    )


def _camera_violations(pack: PolicyPack, cam: Device) -> Violation | None:
    """A camera in a forbidden place (HRB art. 19; KMG art. 7): e.g. after a change of jurisdiction."""
    if cam.kind != DeviceKind.CAMERA or not pack.is_forbidden_camera_place(cam.location_type):
        return None
    return _violation(
        pack,
        FindingRule.FORBIDDEN_CAMERA_PLACE,
        "device",
        cam.id,
        f"device:{cam.id}",
        f"camera {cam.name!r} is in a {cam.location_type.value}, where {pack.city} forbids cameras "
        f"({pack.forbidden_reason(cam.location_type)})",
    )


def filing_due_date(pack: PolicyPack, system: TechSystem) -> dt.date | None:
    """When a system must be filed. HRB art. 14 para. 2 "本办法施行前已建成的技防系统" is keyed
    on when the system was built (its completion; an accepted system was built by then), and
    runs from the regulation's start whether or not it was ever accepted."""
    rule = pack.filing
    trans = rule.transitional
    built = system.completion_date or system.acceptance_date
    if trans and built is not None and built < trans.systems_built_before:
        return pack.deadline(trans.deadline_days_from, trans.days)
    start = system.acceptance_date if rule.deadline.from_ == "acceptance" else system.completion_date
    if start is None:
        return None
    return pack.deadline(start, rule.deadline.days)


def project_due_date(pack: PolicyPack, project: FirmProject) -> dt.date:
    """KMG art. 16: "应当自项目完成之日起10日内…备案": the days run from the project's completion."""
    return pack.deadline(project.completion_date, pack.filing.deadline.days)


@dataclass(frozen=True)
class FilingDuty:
    """One filing the law asks for, and who makes it: a system's, by its unit (HRB art. 14), or
    a project's, by its firm (KMG art. 16: "从事技防工程设计、施工和维修的单位…到项目所在地…备案",
    each project, maintenance jobs included)."""

    system: TechSystem
    project: FirmProject | None
    due: dt.date | None
    liable: Liable

    @property
    def subject_type(self) -> str:
        return "system" if self.project is None else "project"

    @property
    def subject_id(self) -> uuid.UUID:
        return self.system.id if self.project is None else self.project.id

    @property
    def subject_key(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"


def filing_duties(pack: PolicyPack, rec: UnitRecords) -> list[FilingDuty]:
    """Every filing the unit's pack asks for of the unit's systems. Where the unit files (HRB
    art. 14), one per system. Where the firm files (KMG art. 16), one per recorded project; and
    a completed system whose construction project is not recorded still owes its construction
    firm's filing (the firm named by the system's installer, if recorded), until the project is
    recorded under its firm or a filing covers the system."""
    if pack.filing.party == "unit":
        return [FilingDuty(s, None, filing_due_date(pack, s), THE_UNIT) for s in rec.systems]
    systems = {s.id: s for s in rec.systems}
    duties = [
        FilingDuty(systems[p.system_id], p, project_due_date(pack, p), Liable.firm(rec.firms[p.firm_id]))
        for p in rec.projects
        if p.system_id in systems
    ]
    built = {p.system_id for p in rec.projects if p.kind == ProjectKind.CONSTRUCTION}
    duties.extend(
        FilingDuty(s, None, filing_due_date(pack, s), Liable(LiableParty.FIRM, name=s.installer_firm))
        for s in rec.systems
        if s.id not in built
    )
    return duties


def filing_progress(rec: UnitRecords) -> tuple[set[str], dict[str, FilingRecord]]:
    """The filing subjects (``FilingDuty.subject_key``) filed or before the office, and those
    returned to supplement. A filing naming a project is that project's; any other covers its
    systems."""
    filed: set[str] = set()
    returned: dict[str, FilingRecord] = {}
    for filing in rec.filings:
        if filing.project_id is not None:
            keys = [f"project:{filing.project_id}"]
        else:
            keys = [f"system:{sid}" for sid in rec.filing_systems.get(filing.id, ())]
        for key in keys:
            # Submitted in time is the filer's duty done: the office's decision is not its delay.
            if filing.status in (FilingStatus.FILED, FilingStatus.SUBMITTED):
                filed.add(key)
            elif filing.status == FilingStatus.RETURNED:
                returned[key] = filing
    return filed, returned


def _filing_violations(
    pack: PolicyPack,
    duty: FilingDuty,
    filed: set[str],
    returned: dict[str, FilingRecord],
    today: dt.date,
) -> list[Violation | None]:
    out: list[Violation | None] = []
    system, key = duty.system, duty.subject_key
    if key in filed:
        if duty.project is None and system.changed_since_filing and pack.filing.refile_on_change:
            out.append(
                _violation(
                    pack,
                    FindingRule.REFILING_REQUIRED,
                    "system",
                    system.id,
                    key,
                    f"system {system.name!r} changed after it was filed and must be filed again",
                )
            )
        return out
    pending = returned.get(key)
    if pending is not None and pending.supplement_deadline is not None:
        if today > pending.supplement_deadline:
            out.append(
                _violation(
                    pack,
                    FindingRule.FILING_INCOMPLETE,
                    duty.subject_type,
                    duty.subject_id,
                    key,
                    f"filing of {system.name!r} was returned to supplement "
                    f"{', '.join([*pending.missing_materials, *(pending.supplement_items or [])])} "
                    "and was not "
                    f"submitted again by the supplement deadline {pending.supplement_deadline.isoformat()}",
                    liable=duty.liable,
                )
            )
        return out
    if duty.due is not None and today > duty.due:
        out.append(
            _violation(
                pack,
                FindingRule.FILING_MISSING,
                duty.subject_type,
                duty.subject_id,
                key,
                _not_filed(pack, duty, duty.due),
                liable=duty.liable,
            )
        )
    return out


def _not_filed(pack: PolicyPack, duty: FilingDuty, due_date: dt.date) -> str:
    """What is not filed, and by whom where a firm files: the unit is not named as the filer."""
    system, due = duty.system, due_date.isoformat()
    if duty.liable.party == LiableParty.UNIT:
        return f"system {system.name!r} was due to be filed by {due} and is not filed"
    article = pack.cite(pack.filing.article)
    if duty.project is not None:
        project, firm = duty.project, duty.liable
        return (
            f"the {project.kind.value} project of {firm.name} ({firm.uscc}) on system {system.name!r}, "
            f"completed {project.completion_date.isoformat()}, was due to be filed by the firm with "
            f"{project_office(pack, project.district)} by {due} ({article}) and is not filed"
        )
    installer = f"{duty.liable.name} (not a registered firm)" if duty.liable.name else "not recorded"
    completed = system.completion_date.isoformat() if system.completion_date else "?"
    return (
        f"system {system.name!r} was completed {completed}; its construction firm ({installer}) was "
        f"due to file the project by {due} ({article}) and no filing is on record: record the "
        "project under its firm to name the firm"
    )


# The rules this sweep evaluates from the registry's own records; findings of other rules
# come from elsewhere (retention's checks) and are never rectified by the sweep.
EVALUATED_RULES = frozenset(
    {
        FindingRule.MANDATED_SYSTEM_MISSING,
        FindingRule.USE_BEFORE_ACCEPTANCE,
        FindingRule.DESIGN_REVIEW_MISSING,
        FindingRule.NETWORKING_REFUSED,
        FindingRule.FILING_MISSING,
        FindingRule.FILING_INCOMPLETE,
        FindingRule.REFILING_REQUIRED,
        FindingRule.UNCERTIFIED_PRODUCTS,
        FindingRule.PRODUCTS_NONCONFORMING,
        FindingRule.ACCEPTANCE_POLICE_NOT_NOTIFIED,
        FindingRule.FORBIDDEN_CAMERA_PLACE,
        FindingRule.RESIDENTIAL_SYSTEM_MISSING,
        FindingRule.VEHICLE_SYSTEM_MISSING,
        FindingRule.NETWORKING_MISSING,
        FindingRule.MANAGEMENT_RULES_MISSING,
    }
)
