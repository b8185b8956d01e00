"""One hash chain for every register, installed by the database's own function: the police's
use register re-installed by it (the same digest, lock and numbering as 0002: its records verify
as they did), and each unit's register of the uses of its footage (HRB art. 20(3), KMG art.
21(2)), one chain per unit, append-only alike.

``gateway.install_hash_chain(register, chain_key)`` writes, for one table of the schema, the
functions and triggers of its chain as static SQL (a trigger that built its statements at each
insert would plan them at each insert, under the register's lock):

- the digest of a record: the previous record's hash and every column of the record but its
  link and hash, in the table's order, as a JSON array; times as UTC wall-clock timestamps
  (their JSON form does not depend on the session's zone). The columns are read when the chain
  is installed: a column added later is not covered until a new chain says so;
- the link: a BEFORE INSERT trigger takes the chain's transaction-scoped lock, numbers the
  record, links it to the last record of its chain (of the same ``chain_key``: each value has
  a chain of its own; NULL: the whole table is one) and computes its digest;
- UPDATE, DELETE and TRUNCATE refused to anyone.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_INSTALL_HASH_CHAIN = r"""
CREATE FUNCTION gateway.install_hash_chain(register text, chain_key text) RETURNS void
LANGUAGE plpgsql AS $install$
DECLARE
    fields text;
    lock_call text;
    same_chain text := '';
BEGIN
    SELECT string_agg(
        CASE WHEN atttypid = 'timestamptz'::regtype THEN format('(r.%I) AT TIME ZONE ''UTC''', attname)
             ELSE format('r.%I', attname) END,
        ', ' ORDER BY attnum)
    INTO fields
    FROM pg_attribute
    WHERE attrelid = format('gateway.%I', register)::regclass
      AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('prev_hash', 'hash');
    IF chain_key IS NULL THEN
        lock_call := format('pg_advisory_xact_lock(hashtext(%L))', 'gateway.' || register);
    ELSE
        lock_call := format(
            'pg_advisory_xact_lock(hashtext(%L), hashtext(NEW.%I::text))', 'gateway.' || register, chain_key);
        same_chain := format('WHERE %1$I = NEW.%1$I ', chain_key);
    END IF;
    -- The number comes from the trigger alone, under the lock: register order is chain order.
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS gateway.%I OWNED BY gateway.%I.seq',
                   register || '_seq', register);
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION gateway.%I(prev text, r gateway.%I) RETURNS text '
        'LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
        register || '_digest', register,
        format('SELECT encode(sha256(convert_to(prev || json_build_array(%s)::text, ''UTF8'')), ''hex'')',
               fields));
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION gateway.%I() RETURNS trigger LANGUAGE plpgsql AS %L',
        register || '_link',
        format(
'BEGIN
    PERFORM %s;
    NEW.seq := nextval(%L);
    NEW.recorded_at := coalesce(NEW.recorded_at, clock_timestamp());
    NEW.prev_hash := coalesce(
        (SELECT hash FROM gateway.%I %sORDER BY seq DESC LIMIT 1), repeat(''0'', 64));
    NEW.hash := gateway.%I(NEW.prev_hash, NEW);
    RETURN NEW;
END',
            lock_call, 'gateway.' || register || '_seq', register, same_chain, register || '_digest'));
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I BEFORE INSERT ON gateway.%I FOR EACH ROW EXECUTE FUNCTION gateway.%I()',
        register || '_link', register, register || '_link');
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I BEFORE UPDATE OR DELETE ON gateway.%I '
        'FOR EACH ROW EXECUTE FUNCTION gateway.refuse_change()',
        register || '_no_change', register);
    EXECUTE format(
        'CREATE OR REPLACE TRIGGER %I BEFORE TRUNCATE ON gateway.%I '
        'FOR EACH STATEMENT EXECUTE FUNCTION gateway.refuse_change()',
        register || '_no_truncate', register);
END $install$
"""


def upgrade() -> None:
    op.execute(
        """CREATE FUNCTION gateway.refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$"""
    )
    op.execute(_INSTALL_HASH_CHAIN)
    # The police's register, by the installer: the same lock key, sequence and digest as 0002's.
    op.execute("SELECT gateway.install_hash_chain('use_register', NULL)")
    op.execute("DROP FUNCTION gateway.use_record_digest(text, gateway.use_register)")
    op.execute("DROP FUNCTION gateway.use_register_is_append_only()")

    op.create_table(
        "unit_use_register",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("registered_by", sa.Text(), nullable=False),
        sa.Column("footage_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("footage_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("camera_ids", sa.ARRAY(sa.UUID()), nullable=False),
        sa.Column("personnel", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_unit_use_register")),
        sa.UniqueConstraint("hash", name=op.f("uq_unit_use_register_hash")),
        schema="gateway",
    )
    # A unit's chain, in order: its last record (the link) and its register (reading).
    op.create_index(
        "ix_unit_use_register_chain", "unit_use_register", ["unit_id", "seq"], unique=False, schema="gateway"
    )
    for statement in (
        "SELECT gateway.install_hash_chain('unit_use_register', 'unit_id')",
        "GRANT SELECT, INSERT ON gateway.unit_use_register TO jifang_gateway",
        "GRANT USAGE ON SEQUENCE gateway.unit_use_register_seq TO jifang_gateway",
    ):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION gateway.unit_use_register_digest(text, gateway.unit_use_register)")
    op.drop_table("unit_use_register", schema="gateway")
    op.execute("DROP FUNCTION gateway.unit_use_register_link()")
    # The police's register as 0001 and 0002 left it.
    op.execute(
        "ALTER FUNCTION gateway.use_register_digest(text, gateway.use_register) RENAME TO use_record_digest"
    )
    for statement in (
        """CREATE OR REPLACE FUNCTION gateway.use_register_link() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(hashtext('gateway.use_register'));
            NEW.seq := nextval('gateway.use_register_seq');
            NEW.recorded_at := coalesce(NEW.recorded_at, clock_timestamp());
            NEW.prev_hash := coalesce(
                (SELECT hash FROM gateway.use_register ORDER BY seq DESC LIMIT 1), repeat('0', 64));
            NEW.hash := gateway.use_record_digest(NEW.prev_hash, NEW);
            RETURN NEW;
        END $$""",
        """CREATE FUNCTION gateway.use_register_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the use register is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
        """CREATE OR REPLACE TRIGGER use_register_no_change BEFORE UPDATE OR DELETE ON gateway.use_register
            FOR EACH ROW EXECUTE FUNCTION gateway.use_register_is_append_only()""",
        """CREATE OR REPLACE TRIGGER use_register_no_truncate BEFORE TRUNCATE ON gateway.use_register
            FOR EACH STATEMENT EXECUTE FUNCTION gateway.use_register_is_append_only()""",
        "DROP FUNCTION gateway.install_hash_chain(text, text)",
        "DROP FUNCTION gateway.refuse_change()",
    ):
        op.execute(statement)
