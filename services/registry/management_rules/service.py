"""A unit's management rules (管理制度) kept as documents: HRB art. 20(1)-(3), KMG art. 20 and
21(1)-(2). Which rules a unit keeps is its pack's; an inspection records which were on file, and
an upload after it is the correction (findings/rules.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from jifang.auth import Principal
from jifang.errors import NotFound, ValidationFailed
from jifang.policy import ManagementRule, ManagementRuleKind, PolicyBook, PolicyPack
from services.registry.access import visible_unit
from services.registry.change import UnitChange
from services.registry.clock import Clock, utc_now
from services.registry.management_rules.repository import ManagementRuleRepository
from services.registry.management_rules.schemas import (
    ManagementRuleRead,
    ManagementRulesRead,
    RuleDocumentRead,
)
from services.registry.models import ManagementRuleDocument, Unit
from services.registry.storage import DocumentCheck, MaterialStorage, Upload, keep_document


def pack_rule(pack: PolicyPack, kind: str, field: str) -> ManagementRule:
    """The pack's rule of this kind (422 naming the field where the pack asks for none)."""
    rule = pack.management_rule(kind)
    if rule is None:
        known = ", ".join(r.code for r in pack.management_rules) or "none"
        raise ValidationFailed.single(
            field,
            "pack-management-rule",
            f"{pack.id} asks for no management rule {kind!r}; it asks for: {known}",
        )
    return rule


def _document(d: ManagementRuleDocument) -> RuleDocumentRead:
    return RuleDocumentRead(
        id=d.id,
        filename=d.filename,
        content_type=d.content_type,
        size_bytes=d.size_bytes,
        sha256=d.sha256,
        uploaded_at=d.uploaded_at,
        uploaded_by=d.uploaded_by,
        superseded_at=d.superseded_at,
    )


def _rule_read(
    pack: PolicyPack, rule: ManagementRule, versions: list[ManagementRuleDocument]
) -> ManagementRuleRead:
    current = next((d for d in versions if d.superseded_at is None), None)
    return ManagementRuleRead(
        kind=rule.code,
        name=rule.name,
        article=pack.cite(rule.article),
        on_file=current is not None,
        document=_document(current) if current else None,
        earlier_versions=[_document(d) for d in versions if d is not current],
    )


class ManagementRuleService:
    def __init__(
        self,
        session: AsyncSession,
        book: PolicyBook,
        storage: MaterialStorage | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.session = session
        self.book = book
        self.storage = storage
        self.clock = clock
        self.rules = ManagementRuleRepository(session)

    async def _versions(self, unit: Unit) -> dict[str, list[ManagementRuleDocument]]:
        by_kind: defaultdict[str, list[ManagementRuleDocument]] = defaultdict(list)
        for d in await self.rules.versions(unit.id):
            by_kind[d.kind.value].append(d)
        return by_kind

    async def list(self, principal: Principal, unit_id: uuid.UUID) -> ManagementRulesRead:
        unit = await visible_unit(self.session, principal, unit_id)
        pack = self.book[unit.jurisdiction]
        versions = await self._versions(unit)
        rules = [_rule_read(pack, r, versions[r.code]) for r in pack.management_rules]
        return ManagementRulesRead(
            unit_id=unit.id,
            jurisdiction=unit.jurisdiction,
            rules=rules,
            missing=[r.kind for r in rules if not r.on_file],
        )

    async def upload(
        self,
        principal: Principal,
        unit_id: uuid.UUID,
        kind: ManagementRuleKind,
        upload: Upload,
        documents: DocumentCheck,
    ) -> ManagementRuleRead:
        """A new version of the rule: the current one is kept as replaced. The unit's findings
        are recomputed: a rule an inspection found missing is on file now."""
        assert self.storage is not None
        async with UnitChange(self.session, self.book, principal, unit_id, clock=self.clock) as change:
            rule = pack_rule(change.pack, kind, "path.kind")
            stored = await keep_document(self.storage, documents, upload, kind.value)
            now = self.clock()
            await self.rules.replace(
                await self.rules.current_of(change.unit.id, kind),
                ManagementRuleDocument(
                    id=uuid.uuid4(),
                    unit_id=change.unit.id,
                    kind=kind,
                    **stored.columns(),
                    uploaded_at=now,
                    uploaded_by=principal.subject,
                ),
                now,
            )
        versions = await self._versions(change.unit)
        return _rule_read(change.pack, rule, versions[kind.value])

    async def content(
        self, principal: Principal, unit_id: uuid.UUID, kind: ManagementRuleKind
    ) -> tuple[ManagementRuleDocument, bytes]:
        """The current version of the rule, as uploaded."""
        assert self.storage is not None
        unit = await visible_unit(self.session, principal, unit_id)
        pack_rule(self.book[unit.jurisdiction], kind, "path.kind")
        document = await self.rules.current_of(unit.id, kind)
        if document is None:
            raise NotFound(f"The unit has no {kind.value} rule on file")
        return document, await self.storage.get(document.storage_key)
