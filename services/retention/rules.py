"""The packs' retention rules as rows, for the set-based evaluation: the required days per
jurisdiction (and another law's period per category, each with its source), what each finding cites
and the thresholds. The packs stay the one source: the rows are rebuilt from them at start-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from jifang.policy import FindingRule, PolicyBook
from services.retention.models import JurisdictionRule, RetentionRule


def rule_rows(book: PolicyBook) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(required days rows, jurisdiction rows)."""
    rules: list[dict[str, Any]] = []
    jurisdictions: list[dict[str, Any]] = []
    for pack_id in book.ids():
        pack = book[pack_id]
        rules.append(
            {
                "jurisdiction": pack_id,
                "category": "",
                "days": pack.retention.days,
                "source": pack.cite(pack.retention.article),
            }
        )
        rules.extend(
            {"jurisdiction": pack_id, "category": c.category, "days": c.days, "source": c.source}
            for c in pack.retention.applicable_categories()
        )
        short, short_penalty = pack.finding_citations(FindingRule.RETENTION_SHORT)
        deleted, deleted_penalty = pack.finding_citations(FindingRule.RECORDS_DELETED_OR_ALTERED)
        interrupted, interrupted_penalty = pack.finding_citations(FindingRule.OPERATION_INTERRUPTED)
        jurisdictions.append(
            {
                "jurisdiction": pack_id,
                "timezone": pack.timezone,
                "gap_threshold_s": pack.default("recording_gap_threshold_s"),
                "deletion_slack_s": pack.default("retention_deletion_slack_s"),
                "stale_s": pack.default("recording_stale_s"),
                "short_articles": short,
                "short_penalty": short_penalty,
                "deleted_articles": deleted,
                "deleted_penalty": deleted_penalty,
                "interrupted_articles": interrupted,
                "interrupted_penalty": interrupted_penalty,
            }
        )
    return rules, jurisdictions


def longest_requirement_days(book: PolicyBook) -> int:
    """How far back any channel's window reaches: the span a reading must cover for gaps."""
    return max(
        max([book[p].retention.days, *(c.days for c in book[p].retention.categories)]) for p in book.ids()
    )


class RuleRepository:
    """The packs' rules as rows: replaced whole at start-up (the packs are the source)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(
        self, rules: Sequence[Mapping[str, Any]], jurisdictions: Sequence[Mapping[str, Any]]
    ) -> None:
        await self.session.execute(delete(RetentionRule))
        await self.session.execute(delete(JurisdictionRule))
        if rules:
            await self.session.execute(insert(RetentionRule).values(list(rules)))
        if jurisdictions:
            await self.session.execute(insert(JurisdictionRule).values(list(jurisdictions)))
