"""Where a unit files (备案机关): by its security affiliation or by its location, as its pack says."""

from __future__ import annotations

from jifang.policy import PolicyPack
from services.registry.models import SecurityAffiliation, Unit


def filing_office(unit: Unit, pack: PolicyPack) -> str:
    """HRB art. 14: by security affiliation; KMG art. 16: by location."""
    if pack.filing.office_rule == "security_affiliation":
        if unit.security_affiliation == SecurityAffiliation.CITY:
            return f"{pack.city_zh}公安局技防管理机构"
        if unit.security_affiliation == SecurityAffiliation.DISTRICT and unit.affiliation_district:
            return f"{pack.city_zh}{unit.affiliation_district}公安（分）局技防管理机构"
    return f"{pack.city_zh}{unit.district}公安（分）局技防管理机构"
