{#- A keyed, one-way id of the session key, safe to store and print: the first
    16 hex characters of HMAC-SHA256(key, 'pii_guard.key_fingerprint.v1').
    Equal keys give equal fingerprints; nothing else about the key can be
    learned from it. `pii-guard keyid` prints the same value from the
    environment. The run hooks record it per relation and compare it before
    an incremental model or a snapshot adds rows (see docs/engines-and-keys.md, Key rotation).

    select {{ pii_guard.key_fingerprint() }} as key_fingerprint -#}
{% macro key_fingerprint() -%}
  {{ return(adapter.dispatch('key_fingerprint', 'pii_guard')()) }}
{%- endmacro %}

{% macro default__key_fingerprint() -%}
  {{ pii_guard.unsupported_adapter('key_fingerprint') }}
{%- endmacro %}

{#- The same SQL on every engine; they differ inside keyed_hmac_hex and as_text. -#}
{% macro postgres__key_fingerprint() -%}
  {{ pii_guard.duckdb__key_fingerprint() }}
{%- endmacro %}

{% macro spark__key_fingerprint() -%}
  {{ pii_guard.duckdb__key_fingerprint() }}
{%- endmacro %}

{% macro duckdb__key_fingerprint() -%}
  substr({{ pii_guard.keyed_hmac_hex(pii_guard.as_text("'pii_guard.key_fingerprint.v1'"), 'key_fingerprint') }}, 1, 16)
{%- endmacro %}
