"""Where a filing is made (备案机关): by the unit's security affiliation or by where the unit or
the project is, as the pack says."""

from __future__ import annotations

from jifang.policy import PolicyPack
from services.registry.models import SecurityAffiliation, Unit


def district_office(pack: PolicyPack, district: str) -> str:
    """The tech office of a district's (county's) bureau."""
    return f"{pack.city_zh}{district}公安（分）局技防管理机构"


def filing_office(unit: Unit, pack: PolicyPack) -> str:
    """HRB art. 14: by security affiliation, else the district where the unit is; KMG art. 16:
    the district where the project is (``project_office``), the unit's own by default."""
    if pack.filing.office_rule == "security_affiliation":
        if unit.security_affiliation == SecurityAffiliation.CITY:
            return f"{pack.city_zh}公安局技防管理机构"
        if unit.security_affiliation == SecurityAffiliation.DISTRICT and unit.affiliation_district:
            return district_office(pack, unit.affiliation_district)
    return district_office(pack, unit.district)


def project_office(pack: PolicyPack, district: str) -> str:
    """KMG art. 16: "到项目所在地县（市、区）公安机关技防管理机构备案"."""
    return district_office(pack, district)
