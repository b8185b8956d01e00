"""Policy packs: the rules that differ by city, as data.

One YAML file per jurisdiction in ``packs/``; adding a city is adding a file.
Packs are validated when loaded (at service start-up): unknown keys, unknown
system types, location types or penalty references are errors. Every rule
carries its article, and :meth:`PolicyPack.cite` renders a citation such as
``HRB-2008 art. 20(7)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

PACKS_DIR = Path(__file__).resolve().parent / "packs"


class SystemType(StrEnum):
    VIDEO = "video"
    INTRUSION_ALARM = "intrusion_alarm"
    ACCESS_CONTROL = "access_control"
    EXPLOSION_INSPECTION = "explosion_inspection"
    BUILDING_INTERCOM = "building_intercom"
    ANTI_THEFT_DOOR = "anti_theft_door"
    VEHICLE_TRACKING = "vehicle_tracking"


class LocationType(StrEnum):
    """Where a camera or place is; the vocabulary forbidden-place rules refer to."""

    ENTRANCE = "entrance"
    MAIN_PASSAGE = "main_passage"
    LOBBY = "lobby"
    COUNTER = "counter"
    VAULT = "vault"
    CASH_ROOM = "cash_room"
    WAREHOUSE = "warehouse"
    OFFICE = "office"
    PARKING = "parking"
    PERIMETER = "perimeter"
    ROAD = "road"
    SQUARE = "square"
    SERVER_ROOM = "server_room"
    CORRIDOR = "corridor"
    OTHER = "other"
    # private places: some packs forbid cameras here
    HOTEL_GUEST_ROOM = "hotel_guest_room"
    FITTING_ROOM = "fitting_room"
    CHANGING_ROOM = "changing_room"
    BATHROOM = "bathroom"
    PUBLIC_BATH = "public_bath"
    TOILET = "toilet"
    PUBLIC_TOILET = "public_toilet"
    GOVERNMENT_INTERNAL_OFFICE = "government_internal_office"
    NURSING_ROOM = "nursing_room"


class FindingRule(StrEnum):
    MANDATED_SYSTEM_MISSING = "mandated_system_missing"
    USE_BEFORE_ACCEPTANCE = "use_before_acceptance"
    DESIGN_REVIEW_MISSING = "design_review_missing"
    NETWORKING_REFUSED = "networking_refused"
    FILING_MISSING = "filing_missing"
    FILING_INCOMPLETE = "filing_incomplete"
    REFILING_REQUIRED = "refiling_required"
    UNCERTIFIED_PRODUCTS = "uncertified_products"
    RETENTION_SHORT = "retention_short"
    RECORDS_DELETED_OR_ALTERED = "records_deleted_or_altered"
    OPERATION_INTERRUPTED = "operation_interrupted"
    PURPOSE_POSITION_CHANGED = "purpose_position_changed"
    FORBIDDEN_CAMERA_PLACE = "forbidden_camera_place"
    IMAGE_QUALITY_LOW = "image_quality_low"
    RESIDENTIAL_SYSTEM_MISSING = "residential_system_missing"
    VEHICLE_SYSTEM_MISSING = "vehicle_system_missing"
    NETWORKING_MISSING = "networking_missing"
    PRODUCTS_NONCONFORMING = "products_nonconforming"
    ACCEPTANCE_POLICE_NOT_NOTIFIED = "acceptance_police_not_notified"
    MANAGEMENT_RULES_MISSING = "management_rules_missing"


class ManagementRuleKind(StrEnum):
    """The kinds of management rule (管理制度) a unit keeps on file as documents; which of them a
    city asks for, under which article, is its pack's ``management_rules``."""

    TRAINING = "training"
    INSPECTION = "inspection"
    SECURITY_MANAGEMENT = "security_management"
    MAINTENANCE = "maintenance"
    EMERGENCY = "emergency"
    DUTY_MONITORING = "duty_monitoring"
    MATERIALS = "materials"
    USE_REGISTRATION = "use_registration"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Strict):
    """Which system types a place needs: all of a list, or at least one of it."""

    all_of: tuple[SystemType, ...] = ()
    any_of: tuple[SystemType, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> Requirement:
        if bool(self.all_of) == bool(self.any_of):
            raise ValueError("a requirement is either all_of or any_of, not both or neither")
        return self

    def missing(self, present: set[SystemType]) -> list[SystemType]:
        """The system types that must still be added."""
        if self.all_of:
            return [t for t in self.all_of if t not in present]
        return [] if present.intersection(self.any_of) else list(self.any_of)


class SystemTypeName(_Strict):
    name: str
    article: str


class ArticleRef(_Strict):
    article: str


class PlaceCategory(_Strict):
    code: str
    article: str
    name: str
    tags: tuple[str, ...] = ()
    required: Requirement
    # Built and run by government (HRB art. 11 for art. 7(11)): no finding against a unit.
    built_by_government: ArticleRef | None = None


class Residential(_Strict):
    article: str
    required: Requirement
    # HRB art. 8 para. 1 binds "未建立技防系统的现有居民住宅楼或住宅区": an area with any
    # technical-prevention system already is not bound by it.
    only_without_system: bool = False


class OpenSystemList(_Strict):
    """A list of system types that ends in 等 (HRB art. 7): the tech office may record, with a
    reason, that a listed type does not apply to a given place."""

    article: str
    types: tuple[SystemType, ...]


class VehicleCategory(_Strict):
    code: str
    name: str
    required: Requirement


class Vehicles(_Strict):
    article: str
    categories: tuple[VehicleCategory, ...]


class ForbiddenPlaces(_Strict):
    article: str
    location_types: tuple[LocationType, ...]
    # The list ends in 等 (ruling 5): place types the tech office added, each with its reason.
    # Not in a pack file; the registry adds them from its records.
    added: dict[LocationType, str] = Field(default_factory=dict)

    def all_types(self) -> tuple[LocationType, ...]:
        return (*self.location_types, *(t for t in self.added if t not in self.location_types))


NetworkingStatus = Literal["connected", "interface_reserved", "refused", "not_connected"]


class ConnectionDuty(_Strict):
    """A duty to connect a video system to the police platform, without a penalty of its own
    (HRB art. 9 para. 2 for the systems of art. 7 places; KMG art. 10 para. 1 for public areas):
    a system in one of ``statuses`` is a finding citing ``article``."""

    article: str
    applies_to: Literal["mandated_video", "public_area"]
    statuses: tuple[NetworkingStatus, ...]
    # For ``public_area``: the place categories that are public areas.
    categories: tuple[str, ...] = ()


class Networking(_Strict):
    article: str
    applies_to: Literal["mandated_video", "all_video"]
    required_status: Literal["connected", "interface_reserved"]
    violation_statuses: tuple[NetworkingStatus, ...]
    connection_duty: ConnectionDuty | None = None


class Products(_Strict):
    """What a product must show: HRB art. 12 "经检验或认证合格" (a test report or a certificate);
    KMG art. 15 para. 2, conformity to a national, provincial, industry or local standard."""

    article: str
    proof: Literal["tested_or_certified", "named_standard"]


class CategoryRetention(_Strict):
    """Another period for one place category, from another law or regulation, with its source."""

    category: str
    days: int = Field(gt=0)
    source: str = Field(min_length=1)


class Retention(_Strict):
    days: int = Field(gt=0)
    article: str
    # HRB art. 20(7) "法律、法规另有规定的从其规定": another law's period applies in either
    # direction. Without such a clause (KMG art. 19) the pack's minimum stands, and another
    # period applies only where it is longer.
    other_laws_prevail: bool = False
    categories: tuple[CategoryRetention, ...] = ()

    def applicable_categories(self) -> tuple[CategoryRetention, ...]:
        """The category periods that apply in this jurisdiction."""
        return tuple(c for c in self.categories if self.other_laws_prevail or c.days > self.days)


class Deadline(_Strict):
    days: int = Field(gt=0)
    from_: Literal["acceptance", "completion"] = Field(alias="from")
    article: str


class Transitional(_Strict):
    # HRB art. 14 para. 2 "本办法施行前已建成的技防系统": keyed on when the system was built.
    systems_built_before: dt.date
    deadline_days_from: dt.date
    days: int
    article: str


class Material(_Strict):
    code: str
    name: str
    article: str


class ManagementRule(_Strict):
    """A rule a unit keeps on file (HRB art. 20(1)-(3); KMG art. 20, 21(1)-(2)), checked at an
    inspection."""

    code: ManagementRuleKind
    name: str
    article: str
    # Whether the penalty of ``findings.management_rules_missing`` covers this rule's absence:
    # HRB art. 28(3) "未建立或者违反技防系统安全管理制度" punishes the rules (制度) of art. 20(2)-(3),
    # not art. 20(1)'s duty to train; KMG art. 25 covers art. 21, not art. 20.
    penalty_applies: bool


class Supplement(_Strict):
    days: int = Field(gt=0)
    article: str


class Filing(_Strict):
    party: Literal["unit", "firm"]
    article: str
    office_rule: Literal["security_affiliation", "project_location"]
    deadline: Deadline
    transitional: Transitional | None = None
    materials: tuple[Material, ...] = ()
    receipt_article: str | None = None
    supplement: Supplement | None = None
    refile_on_change: ArticleRef | None = None
    confidentiality: ArticleRef


class Acceptance(_Strict):
    design_review_article: str
    police_attend_article: str
    no_use_before_acceptance_article: str


class Inspection(_Strict):
    """The police's periodic check of systems in use. HRB art. 24: "每年应当进行一次全面的系统功能
    检查", once in every calendar year. KMG names no interval: the pack's platform default
    ``inspection_interval_days`` holds it, and ``article`` is null."""

    article: str | None
    once_per_calendar_year: bool = False
    signed_records_article: str | None = None
    # HRB art. 25: notices re-checked when their deadline expires. KMG art. 23 para. 2 only asks
    # that rectification opinions are followed up: no re-check at a deadline.
    recheck_article: str | None = None
    follow_up_article: str | None = None

    @model_validator(mode="after")
    def _one_notice_rule(self) -> Inspection:
        if (self.recheck_article is None) == (self.follow_up_article is None):
            raise ValueError("an inspection rule has either a recheck_article or a follow_up_article")
        return self


class Fine(_Strict):
    party: Literal["unit", "responsible_person", "individual"]
    unit_kind: Literal["business", "non_business"] | None = None
    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Fine:
        if self.min > self.max:
            raise ValueError("fine min exceeds max")
        return self


class Step(_Strict):
    measure: str
    fines: tuple[Fine, ...] = ()


class Penalty(_Strict):
    article: str
    first_step: Step
    if_not_rectified: tuple[Fine, ...] = ()


class FindingBasis(_Strict):
    articles: tuple[str, ...]
    penalty: str | None
    penalty_article: str | None = None
    # A deliberate act or a cause only a person can judge (ruling 1: deleting records, an
    # interruption "无故", a changed position): the platform raises a suspicion citing the duty;
    # the penalty article applies once an officer confirms it.
    suspicion: bool = False


class PlatformDefault(_Strict):
    value: int | float
    platform_default: Literal[True]
    note: str | None = None


class Regulation(_Strict):
    title: str
    issuer: str
    in_force: dt.date


# The numbers the law does not give that every pack must set (each marked a platform default).
REQUIRED_PLATFORM_DEFAULTS = (
    "rectification_days",
    "nvr_heartbeat_interval_s",
    "nvr_missed_heartbeats_offline",
    "recording_gap_threshold_s",
    "retention_deletion_slack_s",
    "recording_stale_s",
    "maintenance_window_max_days",
    "ptz_preset_tolerance",
    "ptz_away_polls",
    "scene_change_persisting_s",
)


class PolicyPack(_Strict):
    id: str
    city: str
    city_zh: str
    citation_prefix: str
    regulation: Regulation
    timezone: str
    system_types: dict[SystemType, SystemTypeName]
    open_system_list: OpenSystemList | None = None
    products: Products
    place_categories: tuple[PlaceCategory, ...]
    residential: Residential
    vehicles: Vehicles
    forbidden_camera_places: ForbiddenPlaces
    networking: Networking
    # Images go to the police only: HRB art. 20(4); KMG art. 21(3) "除法律、法规规定外".
    images_to_police_only: ArticleRef
    retention: Retention
    filing: Filing
    acceptance: Acceptance | None = None
    inspection: Inspection
    # The unit's management rules kept as documents, in the order the text names them.
    management_rules: tuple[ManagementRule, ...] = ()
    penalties: dict[str, Penalty]
    findings: dict[FindingRule, FindingBasis]
    platform_defaults: dict[str, PlatformDefault]

    @model_validator(mode="after")
    def _consistent(self) -> PolicyPack:
        codes = [c.code for c in self.place_categories]
        if len(codes) != len(set(codes)):
            raise ValueError("place category codes must be unique")
        requirements = [
            *(c.required for c in self.place_categories),
            self.residential.required,
            *(v.required for v in self.vehicles.categories),
        ]
        used = {t for req in requirements for t in (*req.all_of, *req.any_of)}
        unknown = used - set(self.system_types)
        if unknown:
            raise ValueError(f"required system types not named by the pack: {sorted(unknown)}")
        duty = self.networking.connection_duty
        referenced = [
            *(("connection duty", code) for code in (duty.categories if duty else ())),
            *(("retention rule", c.category) for c in self.retention.categories),
        ]
        for what, code in referenced:
            if code not in codes:
                raise ValueError(f"{what} for unknown category {code}")
        for rule, basis in self.findings.items():
            if basis.penalty is not None and basis.penalty not in self.penalties:
                raise ValueError(f"finding {rule} cites unknown penalty {basis.penalty}")
        if (
            not self.inspection.once_per_calendar_year
            and "inspection_interval_days" not in self.platform_defaults
        ):
            raise ValueError("without a statutory inspection interval the pack sets inspection_interval_days")
        missing = [name for name in REQUIRED_PLATFORM_DEFAULTS if name not in self.platform_defaults]
        if missing:
            raise ValueError(f"platform defaults missing: {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _management_rules_cited(self) -> PolicyPack:
        """The case of missing rules cites exactly their articles, and a penalty only where one
        of them carries it."""
        rules = self.management_rules
        if not rules:
            return self
        if len({r.code for r in rules}) != len(rules):
            raise ValueError("management rule codes must be unique")
        basis = self.findings.get(FindingRule.MANAGEMENT_RULES_MISSING)
        if basis is None:
            raise ValueError("a pack with management rules cites them in findings.management_rules_missing")
        articles = tuple(dict.fromkeys(r.article for r in rules))
        if basis.articles != articles:
            raise ValueError(
                f"findings.management_rules_missing must cite the rules' articles {list(articles)}"
            )
        if (basis.penalty is not None) != any(r.penalty_applies for r in rules):
            raise ValueError(
                "findings.management_rules_missing has a penalty exactly where a rule carries it"
            )
        return self

    # --- look-ups ---

    def cite(self, article: str) -> str:
        return f"{self.citation_prefix} {article}"

    def category(self, code: str) -> PlaceCategory | None:
        return next((c for c in self.place_categories if c.code == code), None)

    def equivalent_category(
        self, other: PlaceCategory, place_tags: Sequence[str] = ()
    ) -> PlaceCategory | None:
        """This pack's category for a place categorised under another pack, only where the two
        truly correspond: the one category naming everything the place is (its own tags, else
        all its category's). None where no category, or more than one, does: a person decides
        (a 机关 in HRB art. 7(6) is neither KMG art. 6(6)'s news and telecom nor 6(3))."""
        wanted = set(place_tags) or set(other.tags)
        matches = [c for c in self.place_categories if wanted and wanted <= set(c.tags)]
        return matches[0] if len(matches) == 1 else None

    def management_rule(self, kind: str) -> ManagementRule | None:
        return next((r for r in self.management_rules if r.code == kind), None)

    def management_rules_citations(self, kinds: Collection[str]) -> tuple[list[str], str | None]:
        """(articles cited, penalty key) of a case over these missing or inadequate rules: each
        one's duty article, in the pack's order, then the penalty article only where it covers
        one of them (KMG art. 25: art. 21's rules, not art. 20's)."""
        found = [r for r in self.management_rules if r.code in kinds]
        arts = [self.cite(a) for a in dict.fromkeys(r.article for r in found)]
        basis = self.findings[FindingRule.MANAGEMENT_RULES_MISSING]
        if basis.penalty is None or not any(r.penalty_applies for r in found):
            return arts, None
        arts.append(self.cite(basis.penalty_article or self.penalties[basis.penalty].article))
        return arts, basis.penalty

    def default(self, name: str) -> float:
        return self.platform_defaults[name].value

    def is_forbidden_camera_place(self, location_type: LocationType | str | None) -> bool:
        return location_type in self.forbidden_camera_places.all_types()

    def forbidden_reason(self, location_type: LocationType | str | None) -> str:
        """Why a place type is forbidden: the article, and the tech office's reason for a type
        it added to the list that ends in 等."""
        rule = self.forbidden_camera_places
        cited = self.cite(rule.article)
        if location_type in rule.location_types or location_type is None:
            return cited
        added = rule.added.get(LocationType(location_type))
        return f"{cited} (等: added by the tech office: {added})" if added else cited

    def with_forbidden_added(self, added: Mapping[LocationType, str]) -> PolicyPack:
        """This pack with the place types the tech office added to its forbidden list."""
        places = self.forbidden_camera_places.model_copy(update={"added": dict(added)})
        return self.model_copy(update={"forbidden_camera_places": places})

    def finding_citations(
        self, rule: FindingRule, duty_article: str | None = None, *, confirmed: bool = False
    ) -> tuple[list[str], str | None]:
        """(articles cited by a finding, penalty key) for a rule this pack knows.

        ``duty_article`` names the precise item breached (``art. 7(4)``) where
        the rule's generic article (``art. 7``) would be vaguer. A suspicion cites the duty
        only, and no penalty, until an officer confirms it (``confirmed``).
        """
        basis = self.findings[rule]
        arts = [self.cite(a) for a in ([duty_article] if duty_article else basis.articles)]
        if basis.suspicion and not confirmed:
            return arts, None
        if basis.penalty is not None:
            arts.append(self.cite(basis.penalty_article or self.penalties[basis.penalty].article))
        return arts, basis.penalty

    def next_inspection_due(self, last: dt.date) -> dt.date:
        """When the next periodic check is due after one on ``last`` (or the acceptance)."""
        if self.inspection.once_per_calendar_year:
            return dt.date(last.year + 1, 12, 31)
        return self.deadline(last, int(self.default("inspection_interval_days")))

    def is_suspicion(self, rule: FindingRule | str) -> bool:
        basis = self.findings.get(FindingRule(rule))
        return basis is not None and basis.suspicion

    def deadline(self, start: dt.date, days: int) -> dt.date:
        """A deadline in calendar days (Asia/Shanghai dates are what callers pass)."""
        return start + dt.timedelta(days=days)


class PolicyBook:
    """All packs, by id."""

    def __init__(self, packs: dict[str, PolicyPack]) -> None:
        self.packs = packs

    def __getitem__(self, pack_id: str) -> PolicyPack:
        return self.packs[pack_id]

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self.packs

    def get(self, pack_id: str) -> PolicyPack | None:
        return self.packs.get(pack_id)

    def ids(self) -> list[str]:
        return sorted(self.packs)

    def with_forbidden_added(self, additions: Mapping[str, Mapping[LocationType, str]]) -> PolicyBook:
        """The book with exactly these additions of the tech office to each pack's forbidden-place
        list (a pack absent from ``additions`` has none)."""
        packs = {}
        for i, p in self.packs.items():
            wanted = dict(additions.get(i, {}))
            packs[i] = p if p.forbidden_camera_places.added == wanted else p.with_forbidden_added(wanted)
        return self if all(packs[i] is p for i, p in self.packs.items()) else PolicyBook(packs)


def load_pack(path: Path) -> PolicyPack:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    pack = PolicyPack.model_validate(raw)
    if pack.id != path.stem:
        raise ValueError(f"{path.name}: pack id {pack.id!r} must equal the file name")
    return pack


@cache
def load_policy_book(directory: Path = PACKS_DIR) -> PolicyBook:
    """Every pack of the folder, validated. Read once per process: the packs ship with the code
    and do not change while it runs (the routes that list a pack's open types read them too)."""
    packs = {p.stem: load_pack(p) for p in sorted(directory.glob("*.yaml"))}
    if not packs:
        raise ValueError(f"no policy packs in {directory}")
    return PolicyBook(packs)
