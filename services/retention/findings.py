"""What a channel's finding kinds mean, as a user reads them: the rule, the articles of the
channel's pack (the duty, then the penalty step) and a detail with the figures seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from jifang.policy import FindingRule, PolicyBook

# kind stored -> (rule, kind shown)
_RULES: dict[str, tuple[FindingRule, str]] = {
    "short": (FindingRule.RETENTION_SHORT, "short"),
    "configured_short": (FindingRule.RETENTION_SHORT, "configured_short"),
    "deleted_earliest": (FindingRule.RECORDS_DELETED_OR_ALTERED, "deleted"),
    "deleted_footage": (FindingRule.RECORDS_DELETED_OR_ALTERED, "deleted"),
    "gap": (FindingRule.OPERATION_INTERRUPTED, "gap"),
    "stopped": (FindingRule.OPERATION_INTERRUPTED, "stopped"),
}


class Judged(Protocol):
    jurisdiction: str | None
    finding_kinds: list[str] | None
    required_days: int | None
    retained_days: float | None
    max_retention_s: float | None
    earliest: datetime | None
    latest: datetime | None
    checked_at: datetime
    previous_earliest: datetime | None
    previous_checked_at: datetime | None
    deleted_s: float | None
    interruptions: int | None
    recording_status: str | None


def _detail(kind: str, o: Judged) -> str:
    if kind == "short":
        return f"footage kept {o.retained_days or 0:.1f} days of the {o.required_days} required"
    if kind == "configured_short":
        return (
            f"the recorder is set to keep {(o.max_retention_s or 0) / 86400:.1f} days "
            f"of the {o.required_days} required"
        )
    if kind == "deleted_earliest":
        elapsed = (o.checked_at - o.previous_checked_at) if o.previous_checked_at else None
        return (
            f"the earliest footage moved from {o.previous_earliest} to {o.earliest or 'none'} "
            f"in {elapsed}, faster than time passed"
        )
    if kind == "deleted_footage":
        return f"{(o.deleted_s or 0) / 3600:.1f} hours of footage present at the last check are gone"
    if kind == "gap":
        return f"{o.interruptions} gap(s) in the footage of the last {o.required_days} days"
    return f"recording status {o.recording_status}, latest footage {o.latest or 'none'}"


def render_findings(o: Judged, book: PolicyBook) -> list[dict[str, Any]]:
    if not o.finding_kinds or o.jurisdiction is None or o.jurisdiction not in book:
        return []
    pack = book[o.jurisdiction]
    out = []
    for stored in o.finding_kinds:
        rule, kind = _RULES[stored]
        articles, penalty = pack.finding_citations(rule)
        out.append(
            {
                "rule": rule.value,
                "kind": kind,
                "articles": articles,
                "penalty": penalty,
                "suspected": pack.is_suspicion(rule),
                "detail": _detail(stored, o),
            }
        )
    return out
