"""What the registry finds wrong with a unit: a pure function of its records and its pack.

Kept free of I/O so that the rules are tested directly and evaluated in bulk
(thousands of units per recomputation).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from jifang.policy import FindingRule, PolicyPack, Requirement, SystemType
from services.registry.models import (
    Device,
    DeviceKind,
    FilingRecord,
    FilingStatus,
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


def _requirement(pack: PolicyPack, place: Place) -> tuple[Requirement, str, str] | None:
    """(requirement, duty article, what the place is) for a place the law covers."""
    if place.kind == PlaceKind.SITE and place.category:
        cat = pack.category(place.category)
        if cat:
            return cat.required, cat.article, f"mandated place {cat.code}"
    if place.kind == PlaceKind.RESIDENTIAL:
        return pack.residential.required, pack.residential.article, "residential area"
    if place.kind == PlaceKind.VEHICLE and place.vehicle_category:
        veh = next((v for v in pack.vehicles.categories if v.code == place.vehicle_category), None)
        if veh:
            return veh.required, pack.vehicles.article, f"vehicle ({veh.code})"
    return None


def evaluate(pack: PolicyPack, rec: UnitRecords, today: dt.date) -> list[Violation]:
    types_by_place: dict[uuid.UUID, set[SystemType]] = {}
    for system in rec.systems:
        for pid in rec.system_places.get(system.id, ()):
            types_by_place.setdefault(pid, set()).add(system.system_type)
    mandated_places = {
        p.id for p in rec.places if p.kind == PlaceKind.SITE and _requirement(pack, p) is not None
    }
    filed_systems: set[uuid.UUID] = set()
    incomplete_by_system: dict[uuid.UUID, FilingRecord] = {}
    for filing in rec.filings:
        for sid in rec.filing_systems.get(filing.id, ()):
            if filing.status == FilingStatus.FILED:
                filed_systems.add(sid)
            elif filing.status == FilingStatus.INCOMPLETE:
                incomplete_by_system[sid] = filing

    out: list[Violation | None] = []
    for place in rec.places:
        out.extend(_place_violations(pack, place, types_by_place.get(place.id, set())))
    for system in rec.systems:
        covered = rec.system_places.get(system.id, [])
        out.append(_networking_violation(pack, system, any(p in mandated_places for p in covered)))
        # Filing (HRB art. 14/16/17 + 28(2); KMG art. 16).
        out.extend(_filing_violations(pack, system, filed_systems, incomplete_by_system, today))
        out.extend(_system_violations(pack, system))
    out.extend(_camera_violations(pack, cam) for cam in rec.cameras)
    return [v for v in out if v is not None]


def _place_violations(pack: PolicyPack, place: Place, present: set[SystemType]) -> list[Violation | None]:
    """A mandated place lacking a required system type (HRB art. 7 + 26; KMG art. 6 + 24)."""
    req = _requirement(pack, place)
    if req is None:
        return []
    requirement, article, what = req
    missing = requirement.missing(present)
    if not missing:
        return []
    if requirement.all_of:
        return [
            _violation(
                pack,
                FindingRule.MANDATED_SYSTEM_MISSING,
                "place",
                place.id,
                f"place:{place.id}:{t}",
                f"{place.name} ({what}) has no {pack.system_types[t].name} ({t})",
                article,
            )
            for t in missing
        ]
    names = ", ".join(pack.system_types[t].name for t in missing)
    return [
        _violation(
            pack,
            FindingRule.MANDATED_SYSTEM_MISSING,
            "place",
            place.id,
            f"place:{place.id}:any",
            f"{place.name} ({what}) has no technical-prevention system (one of: {names})",
            article,
        )
    ]


def _networking_violation(pack: PolicyPack, system: TechSystem, covers_mandated: bool) -> Violation | None:
    """A video system refusing the police network (HRB art. 9 + 28(1); KMG art. 13)."""
    if (
        system.system_type != SystemType.VIDEO
        or system.networking.value not in pack.networking.violation_statuses
        or not (pack.networking.applies_to == "all_video" or covers_mandated)
    ):
        return None
    return _violation(
        pack,
        FindingRule.NETWORKING_REFUSED,
        "system",
        system.id,
        f"system:{system.id}",
        f"video system {system.name!r} is {system.networking.value}; "
        f"the law requires {pack.networking.required_status}",
    )


def _system_violations(pack: PolicyPack, system: TechSystem) -> list[Violation | None]:
    out: list[Violation | None] = []
    key = f"system:{system.id}"
    # Products (HRB art. 12 + 27(1); KMG art. 15).
    uncertified = [p.get("name", "?") for p in system.products or [] if not p.get("certificate_no")]
    if uncertified:
        out.append(
            _violation(
                pack,
                FindingRule.UNCERTIFIED_PRODUCTS,
                "system",
                system.id,
                key,
                f"system {system.name!r} uses products without a certificate: {', '.join(uncertified)}",
            )
        )
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
        f"camera {cam.name!r} is in a {cam.location_type.value}, where {pack.city} forbids cameras",
    )


def filing_due_date(pack: PolicyPack, system: TechSystem) -> dt.date | None:
    rule = pack.filing
    start = system.acceptance_date if rule.deadline.from_ == "acceptance" else system.completion_date
    if start is None:
        return None
    trans = rule.transitional
    if trans and start < trans.systems_accepted_before:
        return pack.deadline(trans.deadline_days_from, trans.days)
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
                    f"filing of {system.name!r} still lacks {', '.join(pending.missing_materials)} "
                    f"after the supplement deadline {pending.supplement_deadline.isoformat()}",
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
        FindingRule.FORBIDDEN_CAMERA_PLACE,
    }
)
