"""encrypt_pii / decrypt_pii (docs/macros.md, Encryption): AES-256-GCM as
base64(iv || ciphertext || tag) on every engine, decrypting each other's output
and the shared vectors; plaintext only for cleared readers; the encryption key
validated and never the HMAC key."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pii_guard.duckdb_plugin import Plugin
from pii_guard.encryption import (ENCRYPTION_KEY_ENV_VAR, DecryptionProblem, decrypt_text, encrypt_text,
                                  read_encryption_key)
from pii_guard.keys import KEY_ENV_VAR, KeyProblem
from pii_guard.postgres_keyring import KeyringProblem, install_keyring

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "integration_tests" / "vectors"
                      / "pseudonym_vectors.json").read_text())
ENC_KEY = VECTORS["encryption_key"]
CASES = [case for case in VECTORS["encrypt_pii"] if case["value"] is not None]
ENCRYPT = "select n, {{ pii_guard.encrypt_pii('value') }} from vectors order by n"
DECRYPT = "select n, {{ pii_guard.decrypt_pii('value') }} from vectors order by n"


# -- the key and the format, in Python ----------------------------------------------


def test_vectors_decrypt_in_python():
    key = bytes.fromhex(ENC_KEY)
    for case in CASES:
        assert decrypt_text(key, case["ciphertext"]) == case["value"]


def test_random_ivs_give_different_ciphertexts_of_one_value():
    key = bytes.fromhex(ENC_KEY)
    assert encrypt_text(key, "a") != encrypt_text(key, "a")


@pytest.mark.parametrize("value, message", [
    (None, "is not set"), ("", "is empty"), ("ab" * 31, "not 64 hex"), ("zz" * 32, "not 64 hex"),
    ("00" * 32, "fewer than 8"),
])
def test_malformed_encryption_keys_are_refused_without_showing_them(value, message):
    environ = {} if value is None else {ENCRYPTION_KEY_ENV_VAR: value}
    with pytest.raises(KeyProblem, match=message) as problem:
        read_encryption_key(environ)
    assert not value or value not in str(problem.value)


def test_the_hmac_key_is_refused_as_encryption_key():
    with pytest.raises(KeyProblem, match="same key"):
        read_encryption_key({ENCRYPTION_KEY_ENV_VAR: ENC_KEY, KEY_ENV_VAR: ENC_KEY.upper()})


def test_tampered_ciphertexts_raise():
    key = bytes.fromhex(ENC_KEY)
    blob = CASES[0]["ciphertext"]
    with pytest.raises(DecryptionProblem, match="authentication"):
        decrypt_text(key, blob[:-3] + ("A" if blob[-3] != "A" else "B") + blob[-2:])
    with pytest.raises(DecryptionProblem, match="too short"):
        decrypt_text(key, "AAAA")


# -- engines ---------------------------------------------------------------------


class Engine:
    def __init__(self, cursor, placeholder, target, dbt_inline):
        self.cursor, self.placeholder, self.target, self.dbt_inline = cursor, placeholder, target, dbt_inline

    def run(self, template: str, values: list[str | None]) -> list[str | None]:
        compiled, error = self.dbt_inline(template, "--target", self.target)
        assert error is None, error
        self.cursor.execute("drop table if exists vectors")
        self.cursor.execute("create temporary table vectors (n integer, value varchar)")
        self.cursor.executemany(f"insert into vectors values ({self.placeholder}, {self.placeholder})",
                                list(enumerate(values)))
        self.cursor.execute(compiled)
        return [row[1] for row in self.cursor.fetchall()]


def duckdb_engine(monkeypatch, dbt_inline, cleared=True, enc_key=ENC_KEY):
    monkeypatch.setenv(KEY_ENV_VAR, VECTORS["key"])
    if enc_key is None:
        monkeypatch.delenv(ENCRYPTION_KEY_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENCRYPTION_KEY_ENV_VAR, enc_key)
    cursor = duckdb.connect().cursor()
    Plugin("pii_guard", {"decrypt": True} if cleared else {}).configure_cursor(cursor)
    return Engine(cursor, "?", "duckdb", dbt_inline)


def pg_connect(server):
    import psycopg2

    return psycopg2.connect(host="127.0.0.1", port=server.port, user="pii_guard", dbname="pii_guard")


def postgres_engine(request, monkeypatch, dbt_inline):
    server = request.getfixturevalue("postgres")
    monkeypatch.setenv("PII_GUARD_PG_PORT", str(server.port))
    connection = pg_connect(server)
    install_keyring(connection, VECTORS["key"].encode(), ["pii_guard"], encryption_key=bytes.fromhex(ENC_KEY))
    request.addfinalizer(connection.close)
    connection.autocommit = True
    return Engine(connection.cursor(), "%s", "postgres", dbt_inline)


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request, monkeypatch, dbt_inline):
    if request.param == "duckdb":
        return duckdb_engine(monkeypatch, dbt_inline)
    return postgres_engine(request, monkeypatch, dbt_inline)


def test_engine_decrypts_the_vectors(engine):
    found = engine.run(DECRYPT, [case["ciphertext"] for case in VECTORS["encrypt_pii"]])
    assert found == [case["value"] for case in VECTORS["encrypt_pii"]]


def test_engine_encrypts_what_python_decrypts(engine):
    values = [case["value"] for case in VECTORS["encrypt_pii"]]
    ciphertexts = engine.run(ENCRYPT, values)
    assert ciphertexts[-1] is None and values[-1] is None
    key = bytes.fromhex(ENC_KEY)
    assert [None if c is None else decrypt_text(key, c) for c in ciphertexts] == values
    assert all("\n" not in c for c in ciphertexts[:-1])
    # Round trip on the engine itself.
    assert engine.run(DECRYPT, ciphertexts) == values


def test_cross_engine_decryption(request, monkeypatch, dbt_inline):
    values = [case["value"] for case in CASES]
    duck = duckdb_engine(monkeypatch, dbt_inline)
    pg = postgres_engine(request, monkeypatch, dbt_inline)
    assert pg.run(DECRYPT, duck.run(ENCRYPT, values)) == values
    assert duck.run(DECRYPT, pg.run(ENCRYPT, values)) == values


def test_engine_refuses_tampered_ciphertexts(engine):
    blob = CASES[0]["ciphertext"]
    with pytest.raises(Exception, match="failed authentication"):
        engine.run(DECRYPT, [blob[:-3] + ("A" if blob[-3] != "A" else "B") + blob[-2:]])


# -- who may read plaintext ----------------------------------------------------------


def test_duckdb_without_clearance_decrypts_to_null(monkeypatch, dbt_inline):
    engine = duckdb_engine(monkeypatch, dbt_inline, cleared=False)
    assert engine.run(DECRYPT, [case["ciphertext"] for case in CASES]) == [None] * len(CASES)


@pytest.mark.parametrize("enc_key, message", [(None, "is not set"), ("abc", "not 64 hex"),
                                              (VECTORS["key"], "not 64 hex")])
def test_duckdb_without_an_acceptable_key_raises(monkeypatch, dbt_inline, enc_key, message):
    engine = duckdb_engine(monkeypatch, dbt_inline, enc_key=enc_key)
    for template in (ENCRYPT, DECRYPT):
        with pytest.raises(duckdb.Error, match=message):
            engine.run(template, [CASES[0]["ciphertext"]])


def test_duckdb_refuses_the_hmac_key(monkeypatch, dbt_inline):
    hexed = "0123456789abcdef" * 4
    engine = duckdb_engine(monkeypatch, dbt_inline, enc_key=hexed)
    monkeypatch.setenv(KEY_ENV_VAR, hexed)
    Plugin("pii_guard", {"decrypt": True}).configure_cursor(cursor := duckdb.connect().cursor())
    engine.cursor = cursor
    with pytest.raises(duckdb.Error, match="same key"):
        engine.run(ENCRYPT, ["x"])


def test_postgres_only_members_of_the_cleared_role_read_plaintext(request, monkeypatch, dbt_inline):
    server = request.getfixturevalue("postgres")
    engine = postgres_engine(request, monkeypatch, dbt_inline)
    ciphertext = CASES[0]["ciphertext"]
    query = f"select pii_guard_keyring.decrypt_pii('{ciphertext}')"
    # analyst: no EXECUTE at all, then EXECUTE but no membership (NULL), then a member.
    with pytest.raises(RuntimeError, match="permission denied"):
        server.psql(query, user="analyst")
    server.psql("grant usage on schema pii_guard_keyring to analyst; "
                "grant execute on function pii_guard_keyring.decrypt_pii(text) to analyst")
    try:
        assert server.psql(query, user="analyst").strip() == ""
        assert server.psql(f"select {query[7:]} is null", user="analyst").strip() == "t"
        with pytest.raises(RuntimeError, match="permission denied"):
            server.psql("select * from pii_guard_keyring.encryption_key", user="analyst")
        server.psql("grant pii_guard_cleared to analyst")
        assert server.psql(query, user="analyst").strip() == CASES[0]["value"]
    finally:
        server.psql("revoke pii_guard_cleared from analyst; "
                    "revoke execute on function pii_guard_keyring.decrypt_pii(text) from analyst; "
                    "revoke usage on schema pii_guard_keyring from analyst")
    engine.cursor.execute("select 1")


def test_postgres_installer_refuses_bad_encryption_keys(request):
    connection = pg_connect(request.getfixturevalue("postgres"))
    try:
        with pytest.raises(KeyringProblem, match="32 bytes"):
            install_keyring(connection, VECTORS["key"].encode(), ["pii_guard"], encryption_key=b"short")
        same = bytes(range(32))
        with pytest.raises(KeyringProblem, match="HMAC key"):
            install_keyring(connection, same, ["pii_guard"], encryption_key=same)
        with pytest.raises(KeyringProblem, match="cleared role"):
            install_keyring(connection, VECTORS["key"].encode(), ["pii_guard"],
                            encryption_key=bytes.fromhex(ENC_KEY), cleared_role='x"; drop')
    finally:
        connection.close()


def test_postgres_encryption_key_is_copy_data_never_statement_text(request):
    """The keyring's functions hold no key: pg_proc's source of every keyring function lacks it."""
    server = request.getfixturevalue("postgres")
    connection = pg_connect(server)
    install_keyring(connection, VECTORS["key"].encode(), ["pii_guard"], encryption_key=bytes.fromhex(ENC_KEY))
    connection.close()
    sources = server.psql("select string_agg(prosrc, ' ') from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                          "where n.nspname = 'pii_guard_keyring'")
    assert "gcm_seal" in sources and ENC_KEY not in sources.lower()


# -- recognition -------------------------------------------------------------------


@pytest.mark.parametrize("target, dialect", [("duckdb", "duckdb"), ("postgres", "postgres"), ("spark", "spark")])
def test_check_sees_encrypt_pii_as_protection_and_decrypt_pii_as_pii(dbt_inline, target, dialect):
    import sqlglot

    from pii_guard.lineage.protection import is_decryption, protecting_macro

    for template, protected in ((ENCRYPT, True), (DECRYPT, False)):
        extra = ("--vars", "{pii_guard_cleared_users: [alice]}") if target == "spark" else ()
        compiled, error = dbt_inline(template, "--target", target, *extra)
        assert error is None, error
        expression = sqlglot.parse_one(compiled, read=dialect).expressions[1]
        expression = expression.this if isinstance(expression, sqlglot.exp.Alias) else expression
        assert (protecting_macro(expression, dialect) == "encrypt_pii") is protected, compiled
        if not protected:
            assert any(is_decryption(node) for node in expression.walk()), compiled
        assert ENC_KEY not in compiled


def test_the_policy_treatment_encrypts(dbt_inline):
    compiled, error = dbt_inline("select {{ pii_guard.treatment_sql({'treatment': 'encrypt_pii', 'args': {}}, "
                                 "'email', 'varchar', ['email']).sql }}", "--target", "duckdb")
    assert error is None, error
    assert "pii_guard_encrypt(" in compiled


# -- Spark ------------------------------------------------------------------------


def test_spark_decrypts_the_vectors_encrypts_for_python_and_gates_on_current_user(tmp_path, monkeypatch, dbt_inline):
    """A Spark driver of its own (spark_sql_worker.py) with both keys in its
    environment, as dbt-spark's session JVM inherits dbt's. Its current_user()
    is this OS user: cleared in one compiled select, not in the other."""
    import getpass
    import subprocess
    import sys

    from dbt_harness import DbtProject, require_ok

    project = DbtProject(tmp_path, key=VECTORS["key"], target="spark", extra_env={ENCRYPTION_KEY_ENV_VAR: ENC_KEY})

    def compiled(sql: str, users: list[str]) -> str:
        result = project.dbt("--quiet", "compile", "--no-populate-cache", "--inline", sql, "--output", "json",
                             "--vars", json.dumps({"pii_guard_cleared_users": users}))
        require_ok(result, "dbt compile --inline (spark)")
        return json.loads(result.stdout)["compiled"]

    cleared = compiled("select n, {{ pii_guard.decrypt_pii('value') }} as d, {{ pii_guard.encrypt_pii('plain') }} as e "
                       "from vectors", [getpass.getuser(), "someone's-else"])
    other = compiled("select n, {{ pii_guard.decrypt_pii('value') }} as d from vectors", ["someone-else"])
    sql = f"select a.n, a.d, a.e, b.d from ({cleared}) a join ({other}) b on a.n = b.n order by a.n"
    rows = [[n, case["ciphertext"], case["value"]] for n, case in enumerate(VECTORS["encrypt_pii"])]
    worker = str(Path(__file__).with_name("spark_sql_worker.py"))
    answer = json.loads(subprocess.run([sys.executable, worker], input=json.dumps(
        {"columns": "n int, value string, plain string", "sql": sql, "rows": rows}),
        capture_output=True, text=True, env=project.env(), timeout=600).stdout)
    assert "rows" in answer, answer
    values = [case["value"] for case in VECTORS["encrypt_pii"]]
    assert [row[1] for row in answer["rows"]] == values
    assert [row[3] for row in answer["rows"]] == [None] * len(values)
    key = bytes.fromhex(ENC_KEY)
    assert [None if row[2] is None else decrypt_text(key, row[2]) for row in answer["rows"]] == values
    # Spark's ciphertexts decrypt on DuckDB too.
    duck = duckdb_engine(monkeypatch, dbt_inline)
    assert duck.run(DECRYPT, [row[2] for row in answer["rows"]]) == values


# -- the key never leaks ------------------------------------------------------------


def test_debug_show_leaves_no_trace_of_the_encryption_key(tmp_path):
    """dbt show --debug of encrypt_pii and decrypt_pii through the real plugin
    (DuckDB): no form of the encryption key in target/, logs/ or the console.
    (The full --debug builds' search, test_integration.py, looks for it too.)"""
    from dbt_harness import DbtProject, require_ok
    from test_integration import encryption_key_forms

    import secrets

    key = secrets.token_hex(32)
    project = DbtProject(tmp_path, key=secrets.token_hex(32), extra_env={ENCRYPTION_KEY_ENV_VAR: key})
    sql = ("select {{ pii_guard.decrypt_pii(pii_guard.encrypt_pii(\"'ann.lee@example.com'\")) }} as d, "
           "{{ pii_guard.encrypt_pii(\"'x'\") }} as e")
    result = project.dbt("show", "--inline", sql, debug=True)
    require_ok(result, "dbt show")
    assert "pii_guard_encrypt(" in result.stdout + result.stderr
    files = [p for p in list(project.target_path.rglob("*")) + list(project.log_path.rglob("*")) if p.is_file()]
    haystacks = {str(p): p.read_bytes() for p in files}
    haystacks["console"] = (result.stdout + result.stderr).encode()
    leaks = [(where, form) for where, data in haystacks.items()
             for form, needle in encryption_key_forms(key).items() if needle in data]
    assert leaks == []


@pytest.mark.parametrize("macro", ["encrypt_pii", "decrypt_pii"])
def test_an_encryption_key_in_dbt_vars_is_refused(dbt_inline, macro):
    compiled, error = dbt_inline(f"select {{{{ pii_guard.{macro}('email') }}}} as x", "--vars", "{pii_guard_encryption_key: k}")
    assert compiled is None
    assert "found the dbt var 'pii_guard_encryption_key'" in error
    assert "put the key in the environment variable DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY" in error
