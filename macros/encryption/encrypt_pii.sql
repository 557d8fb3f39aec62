{#- Reversible protection: AES-256-GCM of the value's UTF-8 text under the
    encryption key (DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY, never the HMAC key),
    with a random 12-byte IV per value, as base64(iv || ciphertext || tag).
    Every engine writes that format and decrypts every other engine's output
    (docs/macros.md, Encryption). Random IVs: the same value encrypts differently on
    each run, so ciphertexts neither join nor group; use hash_pii for that.
    The key never appears in the SQL: each adapter reads it from its channel.
    NULL stays NULL.

    {{ pii_guard.encrypt_pii('email') }} -#}
{% macro encrypt_pii(column) -%}
  {{ pii_guard.refuse_key_in_vars('encrypt_pii', kind='encryption') }}
  {{ pii_guard.require_expression('encrypt_pii', 'column', column, "Encrypt one column per call.") }}
  {{- return(adapter.dispatch('encrypt_pii', 'pii_guard')(column)) -}}
{%- endmacro %}

{% macro default__encrypt_pii(column) -%}
  {{ pii_guard.unsupported_adapter('encrypt_pii') }}
{%- endmacro %}

{#- The pii_guard dbt-duckdb plugin's function holds the key in the dbt process. -#}
{% macro duckdb__encrypt_pii(column) -%}
  {{- pii_guard.require_plugin_function('pii_guard_encrypt', 'encryption function', 'encrypt_pii') -}}
pii_guard_encrypt({{ pii_guard.as_text(column) }})
{%- endmacro %}

{#- The keyring's SECURITY DEFINER function; the key is readable by pii_guard_keyholder only. -#}
{% macro postgres__encrypt_pii(column) -%}
  {{- pii_guard.require_keyring_function('encrypt_pii(text)', 'encrypt_pii') -}}
{{ pii_guard.keyring_schema() }}.encrypt_pii({{ pii_guard.as_text(column) }})
{%- endmacro %}

{#- Spark: aes_encrypt in GCM mode (random IV, output iv || ciphertext || tag)
    with the key from the driver's environment, substituted when Spark parses
    the statement (see spark__keyed_hmac_hex; views are refused for the same
    reason). -#}
{% macro spark__encrypt_pii(column) -%}
  {%- set key = pii_guard.spark_encryption_key('encrypt_pii') -%}
base64(aes_encrypt(encode({{ pii_guard.as_text(column) }}, 'UTF-8'), {{ key }}, 'GCM', 'DEFAULT'))
{%- endmacro %}

{#- The key as a Spark binary expression: unhex of the substituted variable,
    or raise_error when it is unset or not 64 hex characters. Before any run,
    the driver is asked (three booleans, never the key) whether the key is 64
    hex characters and differs from the HMAC key; if not, a compile error. -#}
{% macro spark_encryption_key(macro_name) -%}
  {%- if model is mapping and model.get('resource_type') == 'model' and model.get('config', {}).get('materialized') in ['view', 'materialized_view'] -%}
    {{ pii_guard.argument_error(macro_name, "on Spark a model that uses " ~ macro_name ~ " cannot be a view: Spark stores a view's SQL text in its metastore after substituting ${env:DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY}, so the view would hold the key. Materialize " ~ model.get('name') ~ " as a table (or incremental).") }}
  {%- endif -%}
  {%- if execute and flags.WHICH not in ['compile', 'docs', 'parse', 'list', 'ls'] -%}
    {%- set checked = run_query("select e rlike '^[0-9a-fA-F]{64}$', lower(e) = lower(trim(h)) from (select coalesce(reflect('java.lang.System', 'getenv', 'DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY'), '') as e, coalesce(reflect('java.lang.System', 'getenv', 'DBT_ENV_SECRET_PII_GUARD_KEY'), '') as h)").rows[0] -%}
    {%- if not checked[0] -%}
      {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": on Spark DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY is missing from the driver's environment or is not 64 hex characters (32 bytes). Generate one with `pii-guard keygen` (it must differ from DBT_ENV_SECRET_PII_GUARD_KEY); see docs/macros.md, Encryption.") }}
    {%- elif checked[1] -%}
      {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY is the same key as DBT_ENV_SECRET_PII_GUARD_KEY. Use a separate key (`pii-guard keygen`); see docs/macros.md, Encryption.") }}
    {%- endif -%}
  {%- endif -%}
  {%- set text = "r'${env:DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY}'" -%}
  {{- return("case when " ~ text ~ " rlike '^[0-9a-fA-F]{64}$' then unhex(" ~ text ~ ") else cast(raise_error('pii_guard." ~ macro_name ~ ": DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY is missing from the environment of the Spark driver or is not 64 hex characters. Set it to a key from `pii-guard keygen` in the environment that runs dbt; see docs/macros.md, Encryption.') as binary) end") -}}
{%- endmacro %}
