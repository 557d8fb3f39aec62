"""Bad arguments and unsupported adapters stop compilation with one clear
message naming the macro, what is wrong and what is allowed."""

from __future__ import annotations

import pytest
from dbt.cli.main import dbtRunner

from dbt_harness import INTEGRATION

PUBLIC_MACROS = [
    "hash_pii('x')", "surrogate_key(['x'])", "age_years('x')", "age_bucket('x')",
    "generalize_zip('x')", "state_from_address('x')", "generalize_date('x')",
    "shift_date('x', 'y')", "pseudonymize_int('x')", "mask_email('x')", "mask_phone('x')", "redact('x')",
]


@pytest.mark.parametrize(
    "call, message",
    [
        ("hash_pii('email', normalize='ssn')", "pii_guard.hash_pii: normalize must be none, 'email', 'phone' or 'text'; got ssn."),
        ("surrogate_key([])", "pii_guard.surrogate_key: columns must be a column name or a non-empty list"),
        ("surrogate_key({'a': 1})", "pii_guard.surrogate_key: columns must be a column name or a non-empty list"),
        ("age_bucket('dob', top_code=95)", "pii_guard.age_bucket: top_code must be a whole number from 1 to 90 (HIPAA Safe Harbor"),
        ("age_bucket('dob', top_code='90')", "pii_guard.age_bucket: top_code must be a whole number from 1 to 90"),
        ("age_bucket('dob', boundaries=[18, 18])", "pii_guard.age_bucket: boundaries must be whole numbers in increasing order"),
        ("age_bucket('dob', boundaries=[18, 90])", "each at least 1 and below top_code (90)"),
        ("age_bucket('dob', boundaries=[])", "pii_guard.age_bucket: boundaries must be a non-empty list of ages"),
        ("age_bucket('dob', boundaries='18')", "pii_guard.age_bucket: boundaries must be a non-empty list of ages"),
        ("age_bucket('dob', boundaries=[17.5])", "pii_guard.age_bucket: boundaries must be whole numbers"),
        ("generalize_zip('zip', digits=5)", "pii_guard.generalize_zip: digits must be 1, 2 or 3 (HIPAA Safe Harbor allows at most the first three digits); got 5."),
        ("generalize_zip('zip', digits='3')", "pii_guard.generalize_zip: digits must be 1, 2 or 3"),
        ("generalize_date('d', grain='week')", "pii_guard.generalize_date: grain must be 'month', 'quarter' or 'year'; got week."),
        ("shift_date('d', 's', max_days=0)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got 0."),
        ("shift_date('d', 's', max_days='30')", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650"),
        ("shift_date('d', 's', max_days=-5)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got -5."),
        ("shift_date('d', 's', max_days=3651)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got 3651."),
        ("shift_date('d', 's', max_days=10 ** 12)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got 1000000000000."),
        ("shift_date('d', 's', max_days=30.5)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got 30.5."),
        ("shift_date('d', 's', max_days=true)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got True."),
        ("shift_date('d', 's', max_days=none)", "pii_guard.shift_date: max_days must be a whole number of days from 1 to 3650 (ten years); got None."),
        ("pseudonymize_int('id', min_value='1')", "pii_guard.pseudonymize_int: min_value must be an integer within signed 64 bits (-9223372036854775808 to 9223372036854775807), not a string, float or boolean; got 1."),
        ("pseudonymize_int('id', max_value=10.0)", "pii_guard.pseudonymize_int: max_value must be an integer within signed 64 bits (-9223372036854775808 to 9223372036854775807), not a string, float or boolean; got 10.0."),
        ("pseudonymize_int('id', min_value=true)", "pii_guard.pseudonymize_int: min_value must be an integer within signed 64 bits"),
        ("pseudonymize_int('id', max_value=none)", "pii_guard.pseudonymize_int: max_value must be an integer within signed 64 bits (-9223372036854775808 to 9223372036854775807), not a string, float or boolean; got None."),
        ("pseudonymize_int('id', max_value=2 ** 63)", "pii_guard.pseudonymize_int: max_value must be an integer within signed 64 bits (-9223372036854775808 to 9223372036854775807), not a string, float or boolean; got 9223372036854775808."),
        ("pseudonymize_int('id', min_value=-2 ** 63 - 1)", "pii_guard.pseudonymize_int: min_value must be an integer within signed 64 bits"),
        ("pseudonymize_int('id', min_value=10, max_value=9)", "pii_guard.pseudonymize_int: min_value (10) must be at most max_value (9)."),
        ("pseudonymize_int('id', min_value=-1, max_value=2 ** 63 - 1)", "pii_guard.pseudonymize_int: the range [-1, 9223372036854775807] holds more than 2^63 values; max_value - min_value must be at most 9223372036854775807"),
        ("mask_phone('p', keep_last=5)", "pii_guard.mask_phone: keep_last must be a whole number from 0 to 4; got 5."),
        ("grant_safe_tier('analyst; drop role dbt')", "pii_guard.grant_safe_tier: role must be a plain role name; got analyst; drop role dbt."),
    ],
)
def test_bad_argument_is_a_compile_error(compile_inline, call, message):
    error = compile_inline("select {{ pii_guard." + call + " }}")
    assert error is not None and message in error, error


@pytest.mark.parametrize(
    "call, message",
    [
        ("test_k_anonymity(model=ref('k_anonymity_clean'), quasi_identifiers=['zip3'], k=1)",
         "pii_guard.k_anonymity: k must be a whole number, at least 2; got 1."),
        ("test_k_anonymity(model=ref('k_anonymity_clean'), quasi_identifiers='zip3')",
         "pii_guard.k_anonymity: quasi_identifiers must be a non-empty list of column names; got zip3."),
        ("test_l_diversity(model=ref('l_diversity_clean'), quasi_identifiers=['zip3'], sensitive_column='diagnosis', l=1.5)",
         "pii_guard.l_diversity: l must be a whole number, at least 2; got 1.5."),
        ("test_no_pii_values(model=ref('no_pii_values_clean'), column_name='note', detectors=['emial'])",
         "pii_guard.no_pii_values: detectors must be a non-empty list drawn from email, phone, ssn, credit_card, ipv4; got ['emial']."),
        ("test_no_pii_values(model=ref('no_pii_values_clean'), column_name='note', detectors=[])",
         "pii_guard.no_pii_values: detectors must be a non-empty list"),
    ],
)
def test_bad_generic_test_argument_is_a_compile_error(compile_inline, call, message):
    error = compile_inline("{{ pii_guard." + call + " }}")
    assert error is not None and message in error, error


@pytest.mark.parametrize("test", ["is_pseudonym", "no_pii_values"])
def test_generic_tests_with_engine_specific_sql_refuse_unknown_adapters(compile_inline, test):
    error = compile_inline("{{ pii_guard.default__test_" + test + "(ref('no_pii_values_clean'), 'note'"
                           + (", ['email']" if test == "no_pii_values" else "") + ") }}")
    assert error is not None and f"pii_guard.{test} is not implemented for adapter 'duckdb'" in error, error
    # The dispatch line to copy names the project being compiled, not a placeholder.
    assert "search_order: [pii_guard_integration_tests, pii_guard]}]` in dbt_project.yml." in error, error


@pytest.mark.parametrize("zip3s", ["[36]", "['36']", "'036'", "['03a']"])
def test_bad_restricted_zip3_var_is_a_compile_error(compile_inline, zip3s):
    error = compile_inline("select {{ pii_guard.generalize_zip('z') }}",
                           "--vars", "{pii_guard_restricted_zip3: " + zip3s + "}")
    assert error is not None and "the var pii_guard_restricted_zip3 must" in error, error


def test_restricted_zip3_var_overrides_the_list(compile_inline):
    assert compile_inline("select {{ pii_guard.generalize_zip('z') }}",
                          "--vars", "{pii_guard_restricted_zip3: ['021']}") is None


@pytest.mark.parametrize("call", PUBLIC_MACROS)
def test_unsupported_adapter_is_a_compile_error_naming_it(compile_inline, call):
    """Every public macro's default__ refuses to guess SQL for an engine."""
    name = call.split("(")[0]
    error = compile_inline("select {{ pii_guard.default__" + call + " }}")
    assert error is not None
    assert f"pii_guard.{name} is not implemented for adapter 'duckdb'" in error, error
    assert f"define duckdb__{name} in your project" in error


@pytest.mark.parametrize("call", PUBLIC_MACROS)
def test_every_public_macro_compiles_on_duckdb(compile_inline, call):
    assert compile_inline("select {{ pii_guard." + call + " }}") is None


def test_package_sits_beside_dbt_utils(tmp_path):
    """Same macro names in a package called dbt_utils: each call resolves to its own package."""
    project = INTEGRATION / "fixtures" / "beside_dbt_utils"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PII_GUARD_DUCKDB_PATH", str(tmp_path / "db.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.setenv("DBT_PACKAGES_INSTALL_PATH", str(tmp_path / "dbt_packages"))
    try:
        common = ["--project-dir", str(project), "--profiles-dir", str(INTEGRATION)]
        assert dbtRunner().invoke(["--quiet", "deps", *common]).success
        result = dbtRunner().invoke(["--quiet", "compile", *common])
    finally:
        monkeypatch.undo()
    assert result.success, result.exception
    sql = (tmp_path / "target" / "compiled" / "beside_dbt_utils" / "models" / "both_packages.sql").read_text()
    assert sql.count("md5(") == 2 and sql.count("pii_guard_hmac_sha256_hex(") == 2


@pytest.mark.parametrize("call, argument, kind", [
    ("hash_pii(['email'])", "column", "['email'] (a list)"),
    ("hash_pii({'column': 'email'})", "column", "{'column': 'email'} (a dict)"),
    ("hash_pii(42)", "column", "42 (a number)"),
    ("hash_pii(none)", "column", "None (none)"),
    ("hash_pii('')", "column", "'' (an empty string)"),
    ("surrogate_key([['id']])", "each of columns", "['id'] (a list)"),
    ("surrogate_key(['id', 7])", "each of columns", "7 (a number)"),
    ("surrogate_key(['id', none])", "each of columns", "None (none)"),
    ("shift_date(['visit_date'], 'patient_id')", "column", "['visit_date'] (a list)"),
    ("shift_date('visit_date', ['patient_id'])", "subject_key", "['patient_id'] (a list)"),
    ("pseudonymize_int(['customer_id'])", "column", "['customer_id'] (a list)"),
    ("pseudonymize_int(7)", "column", "7 (a number)"),
    ("mask_email(['email'])", "column", "['email'] (a list)"),
    ("mask_phone({'a': 1})", "column", "{'a': 1} (a dict)"),
    ("redact(['ssn'])", "column", "['ssn'] (a list)"),
    ("age_years(['dob'])", "dob", "['dob'] (a list)"),
    ("age_years('dob', as_of=['2024-01-01'])", "as_of", "['2024-01-01'] (a list)"),
    ("age_bucket(['dob'])", "dob", "['dob'] (a list)"),
    ("age_bucket('dob', as_of=true)", "as_of", "True (a boolean)"),
    ("generalize_zip(['zip'])", "zip", "['zip'] (a list)"),
    ("state_from_address(['address'])", "address", "['address'] (a list)"),
    ("generalize_date(['d'])", "column", "['d'] (a list)"),
])
def test_column_expression_that_is_not_a_string_is_a_compile_error(compile_inline, call, argument, kind):
    """A list or dict would be rendered as one constant ("['email']"): one
    output, the same hash, for every row."""
    macro = call.split("(")[0]
    error = compile_inline("select {{ pii_guard." + call + " }}")
    expected = (f"pii_guard.{macro}: {argument} must be a SQL expression in a string, usually a quoted column "
                f"name such as 'email'; got {kind}.")
    assert error is not None and expected in error, error


def test_hash_pii_of_a_list_points_to_surrogate_key(compile_inline):
    error = compile_inline("select {{ pii_guard.hash_pii(['first_name', 'last_name']) }}")
    assert "To hash several columns together, use surrogate_key(['a', 'b'])." in error


@pytest.mark.parametrize("call, message", [
    ("test_k_anonymity(model=ref('k_anonymity_clean'), quasi_identifiers=[['zip3']])",
     "pii_guard.k_anonymity: quasi_identifiers must be a non-empty list of column names; got [['zip3']]."),
    ("test_l_diversity(model=ref('l_diversity_clean'), quasi_identifiers=['zip3', 3], sensitive_column='diagnosis')",
     "pii_guard.l_diversity: quasi_identifiers must be a non-empty list of column names; got ['zip3', 3]."),
    ("test_l_diversity(model=ref('l_diversity_clean'), quasi_identifiers=['zip3'], sensitive_column=['diagnosis'])",
     "pii_guard.l_diversity: sensitive_column must be a SQL expression in a string"),
    ("test_no_pii_values(model=ref('no_pii_values_clean'), column_name='note', key_column=['id'])",
     "pii_guard.no_pii_values: key_column must be the name of a column that identifies a row (not PII, e.g. order_id); got ['id']."),
    ("test_is_pseudonym(model=ref('no_pii_values_clean'), column_name='note', key_column=' ')",
     "pii_guard.is_pseudonym: key_column must be the name of a column that identifies a row"),
])
def test_bad_column_argument_of_a_generic_test_is_a_compile_error(compile_inline, call, message):
    error = compile_inline("{{ pii_guard." + call + " }}")
    assert error is not None and message in error, error


def test_shift_date_accepts_ten_years(dbt_inline):
    sql, error = dbt_inline("select {{ pii_guard.shift_date('d', 's', max_days=3650) }}")
    assert error is None and "% 7301 - 3650" in sql


def test_pseudonymize_int_accepts_the_widest_range(dbt_inline):
    """max - min = 2^63 - 1: the whole state fits a bigint on every engine."""
    sql, error = dbt_inline("select {{ pii_guard.pseudonymize_int('id', min_value=-2 ** 63, max_value=-1) }}")
    assert error is None and "cast(-9223372036854775808 as bigint), cast(-1 as bigint)" in sql


def test_generic_tests_return_row_keys_and_masks_never_the_column(dbt_inline):
    """The compiled failing-row query selects the key, the detector and the
    mask; the tested column appears only inside the mask."""
    sql, error = dbt_inline("{{ pii_guard.test_no_pii_values(model=ref('no_pii_values_clean'), column_name='note', "
                            "key_column='note_id') }}")
    assert error is None, error
    final = sql[sql.rindex("select"):]
    assert "note_id as row_key" in sql and "as masked_value" in final
    assert [line.strip() for line in final.splitlines()[1:2]] == ["row_key,"]
