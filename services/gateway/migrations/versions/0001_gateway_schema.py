"""gateway schema: the use register, append-only (a trigger refuses UPDATE, DELETE and
TRUNCATE) and written by a role that holds SELECT and INSERT only.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "use_register",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("badge_number", sa.String(length=50), nullable=True),
        sa.Column("bureau", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("case_number", sa.String(length=100), nullable=True),
        sa.Column("destination", sa.Text(), nullable=True),
        sa.Column("camera_id", sa.UUID(), nullable=True),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("range_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("range_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.UUID(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_use_register")),
        sa.UniqueConstraint("hash", name=op.f("uq_use_register_hash")),
        schema="gateway",
    )
    for column in ("bureau", "case_number", "camera_id", "unit_id"):
        op.create_index(
            op.f(f"ix_gateway_use_register_{column}"),
            "use_register",
            [column],
            unique=False,
            schema="gateway",
        )
    for statement in (
        """CREATE FUNCTION gateway.use_register_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the use register is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
        """CREATE TRIGGER use_register_no_change BEFORE UPDATE OR DELETE ON gateway.use_register
            FOR EACH ROW EXECUTE FUNCTION gateway.use_register_is_append_only()""",
        """CREATE TRIGGER use_register_no_truncate BEFORE TRUNCATE ON gateway.use_register
            FOR EACH STATEMENT EXECUTE FUNCTION gateway.use_register_is_append_only()""",
        # The role the service acts as (cluster-wide: made once, granted per database).
        """DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jifang_gateway') THEN
                CREATE ROLE jifang_gateway NOLOGIN;
            END IF;
        END $$""",
        "GRANT USAGE ON SCHEMA gateway TO jifang_gateway",
        "GRANT SELECT, INSERT ON gateway.use_register TO jifang_gateway",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA gateway TO jifang_gateway",
    ):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("use_register", schema="gateway")
    op.execute("DROP FUNCTION gateway.use_register_is_append_only()")
