{#- HMAC-SHA256 of a text expression's UTF-8 bytes under the session key, as 64
    lowercase hex characters; NULL in, NULL out. The shared core of hash_pii,
    surrogate_key and shift_date. The key never appears in the SQL: each
    adapter reads it from its session. -#}
{% macro keyed_hmac_hex(text_expression, macro_name) -%}
  {{ pii_guard.refuse_key_in_vars(macro_name) }}
  {{- return(adapter.dispatch('keyed_hmac_hex', 'pii_guard')(text_expression, macro_name)) -}}
{%- endmacro %}

{% macro default__keyed_hmac_hex(text_expression, macro_name) -%}
  {{ pii_guard.unsupported_adapter(macro_name) }}
{%- endmacro %}

{#- PostgreSQL: the key is never in dbt's session, where any view or policy
    dbt reads could read it. `pii-guard postgres-keyring` stores it in a table
    only the role pii_guard_keyholder can read, behind a SECURITY DEFINER
    function that hashes with it (fixed search_path, schema-qualified calls).
    dbt's role may execute the function, nothing more. -#}
{% macro postgres__keyed_hmac_hex(text_expression, macro_name) -%}
  {{- pii_guard.require_keyring_function('hmac_sha256_hex(text)', macro_name) -}}
{{ pii_guard.keyring_schema() }}.hmac_sha256_hex({{ text_expression }})
{%- endmacro %}

{#- Spark 4.3+: the native hmac() with the key from the Spark driver's
    environment. Spark substitutes ${env:DBT_ENV_SECRET_PII_GUARD_KEY} with the
    variable's value when it parses each statement; dbt-spark's session method
    starts the driver JVM from dbt's process, which inherits dbt's
    environment, so no command line and no Spark configuration holds the key.
    The literal is raw (r'...'): backslashes reach hmac() unchanged.
    Substitution is plain text, so before running anything keyed the macro asks
    the driver (reflect: the result is three booleans, never the key) whether
    the key holds what the text cannot carry: a single quote (it would end the
    literal, and Spark's parse error would print the statement, key included),
    `${` (Spark would expand it inside the key), or U+FFFD (the JVM could not
    decode it: a non-UTF-8 locale). Those keys are refused with a compile
    error. In SQL, an unset variable stays the unsubstituted reference (as it
    does with substitution turned off), and it, a key shorter than 32 bytes, one
    with fewer than 8 different byte values or with U+FFFD all raise instead of
    hashing; Spark folds that check to a constant once per statement.
    Because the substituted text holds the key, a view (whose text Spark keeps
    in its metastore) is refused at compile time. -#}
{% macro spark__keyed_hmac_hex(text_expression, macro_name) -%}
  {%- if model is mapping and model.get('resource_type') == 'model' and model.get('config', {}).get('materialized') in ['view', 'materialized_view'] -%}
    {{ pii_guard.argument_error(macro_name, "on Spark a model that uses keyed macros cannot be a view: Spark stores a view's SQL text in its metastore after substituting ${env:DBT_ENV_SECRET_PII_GUARD_KEY}, so the view would hold the key. Materialize " ~ model.get('name') ~ " as a table (or incremental).") }}
  {%- endif -%}
  {%- if execute and flags.WHICH not in ['compile', 'docs', 'parse', 'list', 'ls'] -%}
    {%- set unsafe = run_query("select instr(k, chr(39)) > 0, instr(k, concat('$', '{')) > 0, instr(k, decode(unhex('EFBFBD'), 'UTF-8')) > 0 from (select coalesce(reflect('java.lang.System', 'getenv', 'DBT_ENV_SECRET_PII_GUARD_KEY'), '') as k)").rows[0] -%}
    {%- set reasons = [] -%}
    {%- if unsafe[0] -%}{%- do reasons.append("contains a single quote, which would end the SQL literal Spark substitutes it into") -%}{%- endif -%}
    {%- if unsafe[1] -%}{%- do reasons.append("contains '$" ~ "{', which Spark's variable substitution would expand inside the key") -%}{%- endif -%}
    {%- if unsafe[2] -%}{%- do reasons.append("is not UTF-8 text the Spark driver can decode (run dbt under a UTF-8 locale, e.g. LANG=C.UTF-8)") -%}{%- endif -%}
    {%- if reasons -%}
      {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": on Spark DBT_ENV_SECRET_PII_GUARD_KEY " ~ (reasons | join('; and ')) ~ ". Generate a key with `pii-guard keygen` (64 hex characters) and set it in the environment that runs dbt; see docs/engines-and-keys.md, Key setup.") }}
    {%- endif -%}
  {%- endif -%}
  {%- set key = "r'${env:DBT_ENV_SECRET_PII_GUARD_KEY}'" -%}
case when {{ key }} = concat('$', '{env:DBT_ENV_SECRET_PII_GUARD_KEY}') or octet_length({{ key }}) < 32
    or size(array_distinct(regexp_extract_all(hex(encode({{ key }}, 'UTF-8')), '..', 0))) < 8
    or instr({{ key }}, decode(unhex('EFBFBD'), 'UTF-8')) > 0
  then cast(raise_error('pii_guard.{{ macro_name }}: DBT_ENV_SECRET_PII_GUARD_KEY is missing from the environment of the Spark driver, shorter than 32 bytes, uses fewer than 8 different byte values or is not UTF-8 text. Set it to a key from `pii-guard keygen` in the environment that runs dbt (the Spark driver inherits it); see docs/engines-and-keys.md, Key setup.') as string)
  else lower(hex(hmac(encode({{ key }}, 'UTF-8'), encode({{ text_expression }}, 'UTF-8'))))
end
{%- endmacro %}

{#- DuckDB has sha256 but no HMAC, and SQL values (variables, literals) get
    folded into plans that EXPLAIN and profiling print. The pii_guard dbt-duckdb
    plugin registers pii_guard_hmac_sha256_hex(text), which holds the key in the
    dbt process: SQL sees only the function's name and its results. Without an
    acceptable key the function raises the reason; without the plugin a run
    stops here with what to configure (a view read later from a session without
    the plugin fails on the unknown function: never an unkeyed hash). -#}
{% macro duckdb__keyed_hmac_hex(text_expression, macro_name) -%}
  {{- pii_guard.require_plugin_function('pii_guard_hmac_sha256_hex', 'HMAC function', macro_name) -}}
pii_guard_hmac_sha256_hex({{ text_expression }})
{%- endmacro %}

{#- When dbt runs SQL (not when it only compiles), stop with what to configure
    if this DuckDB session lacks a function of the pii_guard plugin. -#}
{% macro require_plugin_function(function_name, description, macro_name) -%}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'snapshot', 'seed', 'run-operation'] -%}
    {%- set registered = run_query("select count(*) from duckdb_functions() where function_name = '" ~ function_name ~ "'") -%}
    {%- if registered.columns[0].values()[0] == 0 -%}
      {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": this DuckDB session has no " ~ description ~ ". Enable the pii_guard plugin in the dbt profile (plugins: [{module: pii_guard.duckdb_plugin}]) and set DBT_ENV_SECRET_PII_GUARD_KEY in the environment that runs dbt; see docs/engines-and-keys.md, Key setup.") }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

{#- The same for a function of the PostgreSQL keyring (`signature` as
    to_regprocedure reads it): dbt's role must be allowed to execute it. -#}
{% macro require_keyring_function(signature, macro_name) -%}
  {%- if execute and flags.WHICH in ['run', 'build', 'test', 'snapshot', 'seed', 'run-operation'] -%}
    {%- set schema = pii_guard.keyring_schema() -%}
    {%- set usable = run_query("select coalesce(has_function_privilege(to_regprocedure('" ~ schema ~ "." ~ signature ~ "'), 'execute'), false)") -%}
    {%- if not usable.columns[0].values()[0] -%}
      {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": the role dbt connects as cannot execute " ~ schema ~ "." ~ signature ~ ". Install the key in this database with `pii-guard postgres-keyring " ~ ('--schema ' ~ schema ~ ' ' if schema != 'pii_guard_keyring' else '') ~ "--grant " ~ target.user ~ "` (DBT_ENV_SECRET_PII_GUARD_KEY set, connected as an admin); see docs/engines-and-keys.md, Key setup.") }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
