{#- PostgreSQL: the schema of the keyring this run hashes with, from the var
    pii_guard_keyring_schema (default pii_guard_keyring). A second keyring
    holds another key (developers hash with their own: docs/lifecycle.md, 'A safe raw
    copy for development'); `pii-guard postgres-keyring --schema` installs it.
    Its name must start with pii_guard_keyring, which pii-guard check reads as
    the keyring. -#}
{% macro keyring_schema() -%}
  {%- set schema = var('pii_guard_keyring_schema', 'pii_guard_keyring') -%}
  {%- if schema is not string or not modules.re.fullmatch('pii_guard_keyring[a-z0-9_]*', schema) -%}
    {{ exceptions.raise_compiler_error("pii_guard: the var pii_guard_keyring_schema must be pii_guard_keyring or start with it (lower-case letters, digits, _), as `pii-guard postgres-keyring --schema` names it; got " ~ schema ~ ".") }}
  {%- endif -%}
  {{ return(schema) }}
{%- endmacro %}
