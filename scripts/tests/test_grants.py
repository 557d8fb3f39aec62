"""The tier boundary enforced by PostgreSQL itself: the analyst role, granted
the safe tier by pii_guard.grant_safe_tier, reads safe marts and is refused
everything else, and cannot read the key."""

from __future__ import annotations

import pytest

SAFE = ["main_safe.customer_segments", "main_safe.orders_monthly", "main_safe.appointment_intervals"]
CLOSED = ["main_restricted.customer_contacts", "main_staging.stg_customers", "main_raw.raw_customers",
          "main_intermediate.int_customer_orders"]


def test_analyst_reads_the_safe_tier(built_project_pg, postgres):
    for relation in SAFE:
        assert int(postgres.psql(f"select count(*) from {relation}", user="analyst")) > 0, relation


@pytest.mark.parametrize("relation", CLOSED)
def test_analyst_is_refused_everything_else(built_project_pg, postgres, relation):
    with pytest.raises(RuntimeError, match="permission denied"):
        postgres.psql(f"select * from {relation} limit 1", user="analyst")


def test_analyst_can_neither_read_nor_use_the_key(built_project_pg, postgres):
    """The key lives in the keyring, readable by pii_guard_keyholder alone; the
    analyst was granted neither the table nor the hashing function."""
    for sql in ("select * from pii_guard_keyring.hmac_key", "select pii_guard_keyring.hmac_sha256_hex('x')"):
        with pytest.raises(RuntimeError, match="permission denied"):
            postgres.psql(sql, user="analyst")
    setting = postgres.psql("select coalesce(current_setting('pii_guard.key', true), 'unset')", user="analyst")
    assert setting.strip() == "unset"
    stored = postgres.psql("select count(*) from pg_db_role_setting")
    assert stored.strip() == "0"
