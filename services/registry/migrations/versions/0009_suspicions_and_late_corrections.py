"""Ruling 1: suspicions an officer confirms or dismisses; ruling 3: liability fixed at the
deadline (corrected after it is `corrected_late`, not rectified); the first step is an order to
correct (`ordered`, `ordered_at`), a warning only in Harbin's measure text.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NEW = ("suspected", "open", "ordered", "escalated", "rectified", "corrected_late", "confirmed", "dismissed")
_OLD = ("open", "warned", "rectified", "escalated")


def _statuses(values: tuple[str, ...], active: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    op.create_check_constraint("findingstatus", "findings", f"status IN ({listed})", schema="registry")
    op.create_index(
        "uq_findings_active",
        "findings",
        ["unit_id", "rule", "subject_key"],
        unique=True,
        schema="registry",
        postgresql_where=sa.text("status IN (" + ", ".join(f"'{v}'" for v in active) + ")"),
    )


def _drop_statuses() -> None:
    op.drop_constraint("findingstatus", "findings", schema="registry", type_="check")
    op.drop_index("uq_findings_active", table_name="findings", schema="registry")


def upgrade() -> None:
    _drop_statuses()
    op.alter_column("findings", "warned_at", new_column_name="ordered_at", schema="registry")
    op.execute("UPDATE registry.findings SET status = 'ordered' WHERE status = 'warned'")
    for name, type_ in (("decided_at", sa.DateTime(timezone=True)), ("decided_by", sa.String(200))):
        op.add_column("findings", sa.Column(name, type_, nullable=True), schema="registry")
    op.add_column("findings", sa.Column("decision_reason", sa.Text(), nullable=True), schema="registry")
    _statuses(_NEW, ("suspected", "open", "ordered", "escalated"))


def downgrade() -> None:
    _drop_statuses()
    op.execute(
        "UPDATE registry.findings SET status = CASE status WHEN 'ordered' THEN 'warned' "
        "WHEN 'suspected' THEN 'open' WHEN 'corrected_late' THEN 'rectified' "
        "WHEN 'confirmed' THEN 'escalated' WHEN 'dismissed' THEN 'rectified' ELSE status END"
    )
    for name in ("decision_reason", "decided_by", "decided_at"):
        op.drop_column("findings", name, schema="registry")
    op.alter_column("findings", "ordered_at", new_column_name="warned_at", schema="registry")
    _statuses(_OLD, ("open", "warned", "escalated"))
