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

{#- DuckDB has sha256 but no HMAC. The pii_guard dbt-duckdb plugin sets the padded
    key blocks as variables on every cursor, so a row costs two SHA-256 calls:
    sha256(outer || unhex(sha256(inner || message))).
    Without the variables (no plugin, a missing or short key, or a view read
    from a session without the plugin) the query fails with the reason instead
    of returning NULL or an unkeyed hash. -#}
{#- PostgreSQL: pgcrypto's hmac() with the key from the session setting
    pii_guard.key (PGOPTIONS="-c pii_guard.key=..."). The error branch reads the
    setting (as zero characters) so the planner cannot fold it into an error
    raised on every query. -#}
{% macro postgres__keyed_hmac_hex(text_expression, macro_name) -%}
case when coalesce(octet_length(current_setting('pii_guard.key', true)), 0) < 32
  then cast(cast(coalesce(left(current_setting('pii_guard.key', true), 0), '') || 'pii_guard.{{ macro_name }}: the session setting pii_guard.key is missing or shorter than 32 bytes. Set it from DBT_ENV_SECRET_PII_GUARD_KEY (PGOPTIONS="-c pii_guard.key=$DBT_ENV_SECRET_PII_GUARD_KEY") in the environment that runs dbt; see the README, Key setup.' as integer) as text)
  else encode(hmac(convert_to({{ text_expression }}, 'UTF8'), convert_to(current_setting('pii_guard.key', true), 'UTF8'), 'sha256'), 'hex')
end
{%- endmacro %}

{#- Spark 4.3+: the native hmac() with the key from the session configuration
    spark.pii_guard.key (the profile's server_side_parameters), which Spark
    substitutes for ${spark.pii_guard.key} when it parses the statement. The
    literal is raw (r'...') so backslashes in the key reach hmac() unchanged;
    an unset configuration substitutes as '' and fails the length check.
    Because the substituted text holds the key, a view (whose text Spark keeps
    in its metastore) is refused at compile time. -#}
{% macro spark__keyed_hmac_hex(text_expression, macro_name) -%}
  {%- if model is mapping and model.get('config', {}).get('materialized') in ['view', 'materialized_view'] -%}
    {{ pii_guard.argument_error(macro_name, "on Spark a model that uses keyed macros cannot be a view: Spark stores a view's SQL text in its metastore after substituting ${spark.pii_guard.key}, so the view would hold the key. Materialize " ~ model.get('name') ~ " as a table (or incremental).") }}
  {%- endif -%}
case when octet_length(r'${spark.pii_guard.key}') < 32
  then cast(raise_error('pii_guard.{{ macro_name }}: the Spark configuration spark.pii_guard.key is missing or shorter than 32 bytes. Set it from DBT_ENV_SECRET_PII_GUARD_KEY in server_side_parameters of the dbt profile; see the README, Key setup.') as string)
  else lower(hex(hmac(encode(r'${spark.pii_guard.key}', 'UTF-8'), encode({{ text_expression }}, 'UTF-8'))))
end
{%- endmacro %}

{% macro duckdb__keyed_hmac_hex(text_expression, macro_name) -%}
case when getvariable('pii_guard_ipad') is null
  then error(coalesce(getvariable('pii_guard_key_error'), 'pii_guard.{{ macro_name }}: this DuckDB session has no HMAC key. Enable the pii_guard plugin in the dbt profile (plugins: [{module: pii_guard.duckdb_plugin}]) and set DBT_ENV_SECRET_PII_GUARD_KEY in the environment that runs dbt.'))
  else sha256(getvariable('pii_guard_opad') || unhex(sha256(getvariable('pii_guard_ipad') || encode({{ text_expression }}))))
end
{%- endmacro %}
