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
    Inspection,
    Place,
    PlaceKind,
    TechSystem,
    Unit,
)


@dataclass(frozen=True)
class Violation:
    rule: FindingRule
    subject_type: str
    subject_id: uuid.UUID | None
    subject_key: str
    articles: tuple[str, ...]
    penalty: str | None
    detail: str


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


def _violation(
    pack: PolicyPack,
    rule: FindingRule,
    subject_type: str,
    subject_id: uuid.UUID | None,
    key: str,
    detail: str,
    duty_article: str | None = None,
) -> Violation | None:
    if rule not in pack.findings:
        return None  # this city's law has no such rule
    articles, penalty = pack.finding_citations(rule, duty_article)
    return Violation(rule, subject_type, subject_id, key, tuple(articles), penalty, detail)


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
    filed_systems: set[uuid.UUID] = set()
    incomplete_by_system: dict[uuid.UUID, FilingRecord] = {}
    for filing in rec.filings:
        for sid in rec.filing_systems.get(filing.id, ()):
            # Submitted in time is the filer's duty done: the office's decision is not its delay.
            if filing.status in (FilingStatus.FILED, FilingStatus.SUBMITTED):
                filed_systems.add(sid)
            elif filing.status == FilingStatus.RETURNED:
                incomplete_by_system[sid] = filing

    out: list[Violation | None] = []
    for place in rec.places:
        out.append(_place_violation(pack, place, types_by_place.get(place.id, set())))
    for system in rec.systems:
        covered = [places[p] for p in rec.system_places.get(system.id, []) if p in places]
        out.append(_networking_violation(pack, system, covered))
        # Filing (HRB art. 14/16/17 + 28(2); KMG art. 16).
        out.extend(_filing_violations(pack, system, filed_systems, incomplete_by_system, today))
        out.extend(_system_violations(pack, system))
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


def _filing_violations(
    pack: PolicyPack,
    system: TechSystem,
    filed: set[uuid.UUID],
    incomplete: dict[uuid.UUID, FilingRecord],
    today: dt.date,
) -> list[Violation | None]:
    out: list[Violation | None] = []
    key = f"system:{system.id}"
    if system.id in filed:
        if system.changed_since_filing and pack.filing.refile_on_change:
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
    pending = incomplete.get(system.id)
    if pending is not None and pending.supplement_deadline is not None:
        if today > pending.supplement_deadline:
            out.append(
                _violation(
                    pack,
                    FindingRule.FILING_INCOMPLETE,
                    "system",
                    system.id,
                    key,
                    f"filing of {system.name!r} was returned to supplement "
                    f"{', '.join([*pending.missing_materials, *(pending.supplement_items or [])])} "
                    "and was not "
                    f"submitted again by the supplement deadline {pending.supplement_deadline.isoformat()}",
                )
            )
        return out
    due = filing_due_date(pack, system)
    if due is not None and today > due:
        out.append(
            _violation(
                pack,
                FindingRule.FILING_MISSING,
                "system",
                system.id,
                key,
                f"system {system.name!r} was due to be filed by {due.isoformat()} and is not filed",
            )
        )
    return out


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
