"""One breach, one case: a place's missing systems are one finding (not one per type); the
tech office records system types that do not apply to a place; art. 8 duties (residential
areas, vehicles) are findings of their own rules.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACTIVE = "('open', 'warned', 'escalated')"


def upgrade() -> None:
    op.add_column(
        "places",
        sa.Column("exemptions", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema="registry",
    )
    # Residential areas and vehicles were findings of the art. 7 rule: each gets its own.
    for kind, rule in (("residential", "residential_system_missing"), ("vehicle", "vehicle_system_missing")):
        op.execute(
            f"UPDATE registry.findings f SET rule = '{rule}' FROM registry.places p "
            f"WHERE f.subject_id = p.id AND p.kind = '{kind}' AND f.rule = 'mandated_system_missing'"
        )
    # Several active findings of one place and rule were one breach: the earliest stays, keyed
    # by the place (the next recomputation lists every missing type in it); the rest go.
    op.execute(
        f"""
        DELETE FROM registry.findings f USING registry.findings keep
        WHERE f.subject_type = 'place' AND keep.subject_type = 'place'
          AND f.rule = keep.rule AND f.subject_id = keep.subject_id
          AND f.status IN {_ACTIVE} AND keep.status IN {_ACTIVE}
          AND (keep.detected_at, keep.id) < (f.detected_at, f.id)
        """
    )
    op.execute(
        "UPDATE registry.findings SET subject_key = 'place:' || subject_id::text "
        "WHERE subject_type = 'place' AND subject_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("places", "exemptions", schema="registry")
