"""Design, construction and maintenance firms and their projects (KMG art. 16: the firm files
each project, maintenance jobs included, where the project is); a Kunming filing names its
project; who answers for a finding (the unit, or a firm); "filed late" recorded on every filing
when the office accepts it (the day the accepted set was handed in, and the days after the due
date).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

S = "registry"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40, schema=S)


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "firms",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("contact_person", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("uscc", name=op.f("uq_firms_uscc")),
        schema=S,
    )
    op.create_index(
        "ix_firms_name_trgm",
        "firms",
        ["name"],
        schema=S,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "firm_projects",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "firm_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.firms.id", name=op.f("fk_firm_projects_firm_id_firms")),
            nullable=False,
        ),
        sa.Column(
            "unit_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.units.id", ondelete="CASCADE", name=op.f("fk_firm_projects_unit_id_units")),
            nullable=False,
        ),
        sa.Column(
            "system_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                f"{S}.systems.id", ondelete="CASCADE", name=op.f("fk_firm_projects_system_id_systems")
            ),
            nullable=False,
        ),
        sa.Column("kind", _enum("projectkind", "design", "construction", "maintenance"), nullable=False),
        sa.Column("completion_date", sa.Date(), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _created_at(),
        schema=S,
    )
    for column in ("firm_id", "unit_id", "system_id"):
        op.create_index(op.f(f"ix_registry_firm_projects_{column}"), "firm_projects", [column], schema=S)

    op.add_column(
        "findings",
        sa.Column(
            "liable_party", _enum("liableparty", "unit", "firm"), server_default="unit", nullable=False
        ),
        schema=S,
    )
    op.add_column(
        "findings",
        sa.Column(
            "liable_firm_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.firms.id", name=op.f("fk_findings_liable_firm_id_firms")),
            nullable=True,
        ),
        schema=S,
    )
    op.add_column("findings", sa.Column("liable_name", sa.String(length=200), nullable=True), schema=S)
    op.add_column("findings", sa.Column("liable_uscc", sa.String(length=18), nullable=True), schema=S)
    op.create_index(op.f("ix_registry_findings_liable_firm_id"), "findings", ["liable_firm_id"], schema=S)

    op.add_column(
        "filings",
        sa.Column(
            "project_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                f"{S}.firm_projects.id", ondelete="SET NULL", name=op.f("fk_filings_project_id_firm_projects")
            ),
            nullable=True,
        ),
        schema=S,
    )
    op.create_index(op.f("ix_registry_filings_project_id"), "filings", ["project_id"], schema=S)
    op.add_column("filings", sa.Column("filed_on", sa.Date(), nullable=True), schema=S)
    op.add_column("filings", sa.Column("days_late", sa.Integer(), nullable=True), schema=S)
    # Filings the office accepted before: handed in on the day of their last submission (both
    # packs keep Asia/Shanghai time), late by the days after their due date.
    op.execute(
        f"UPDATE {S}.filings SET filed_on = (submitted_at AT TIME ZONE 'Asia/Shanghai')::date "
        "WHERE status IN ('filed', 'superseded')"
    )
    op.execute(
        f"UPDATE {S}.filings SET days_late = GREATEST(0, filed_on - due_date) "
        "WHERE filed_on IS NOT NULL AND due_date IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("filings", "days_late", schema=S)
    op.drop_column("filings", "filed_on", schema=S)
    op.drop_index(op.f("ix_registry_filings_project_id"), table_name="filings", schema=S)
    op.drop_column("filings", "project_id", schema=S)
    op.drop_index(op.f("ix_registry_findings_liable_firm_id"), table_name="findings", schema=S)
    for column in ("liable_uscc", "liable_name", "liable_firm_id", "liable_party"):
        op.drop_column("findings", column, schema=S)
    for column in ("system_id", "unit_id", "firm_id"):
        op.drop_index(op.f(f"ix_registry_firm_projects_{column}"), table_name="firm_projects", schema=S)
    op.drop_table("firm_projects", schema=S)
    op.drop_index("ix_firms_name_trgm", table_name="firms", schema=S)
    op.drop_table("firms", schema=S)
