"""The office decides a filing (HRB art. 16): a complete set is `submitted`; the tech office
accepts it (`filed`, with a receipt) or returns it (`returned`, with a notice of all to
supplement). What was `incomplete` (the platform's own notice) is `returned`.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_NEW = ("draft", "submitted", "returned", "filed", "superseded")
_OLD = ("draft", "incomplete", "filed", "superseded")


def upgrade() -> None:
    op.add_column(
        "filings",
        sa.Column("supplement_items", ARRAY(sa.Text()), nullable=False, server_default=sa.text("'{}'")),
        schema="registry",
    )
    op.add_column(
        "filings", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True), schema="registry"
    )
    op.add_column("filings", sa.Column("decided_by", sa.String(length=200), nullable=True), schema="registry")
    op.drop_constraint("filingstatus", "filings", schema="registry", type_="check")
    op.execute("UPDATE registry.filings SET status = 'returned' WHERE status = 'incomplete'")
    listed = ", ".join(f"'{v}'" for v in _NEW)
    op.create_check_constraint("filingstatus", "filings", f"status IN ({listed})", schema="registry")


def downgrade() -> None:
    op.drop_constraint("filingstatus", "filings", schema="registry", type_="check")
    op.execute("UPDATE registry.filings SET status = 'incomplete' WHERE status IN ('returned', 'submitted')")
    listed = ", ".join(f"'{v}'" for v in _OLD)
    op.create_check_constraint("filingstatus", "filings", f"status IN ({listed})", schema="registry")
    for column in ("decided_by", "decided_at", "supplement_items"):
        op.drop_column("filings", column, schema="registry")
