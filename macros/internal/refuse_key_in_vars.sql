{#- A salt or key in dbt vars sits in git, in target/ and in every compiled
    file: refuse it and say where the key belongs. kind: 'hmac' (hash_pii and
    the keyed macros) or 'encryption' (encrypt_pii, decrypt_pii). -#}
{% macro refuse_key_in_vars(macro_name, kind='hmac') -%}
  {%- set names = ['pii_salt', 'pii_guard_salt', 'pii_guard_key', 'pii_key', 'hash_salt', 'hashing_salt', 'salt'] if kind == 'hmac'
      else ['pii_guard_encryption_key', 'encryption_key', 'pii_encryption_key', 'aes_key', 'pii_guard_key'] -%}
  {%- set variable = 'DBT_ENV_SECRET_PII_GUARD_KEY' if kind == 'hmac' else 'DBT_ENV_SECRET_PII_GUARD_ENCRYPTION_KEY' -%}
  {%- for name in names -%}
    {%- if var(name, none) is not none -%}
      {{ pii_guard.argument_error(macro_name,
          "found the dbt var '" ~ name ~ "'. A salt or key in dbt vars is stored in git and written "
          ~ "into target/ and every compiled file" ~ (", and sha256(value || salt) is not a keyed MAC" if kind == 'hmac' else '') ~ ". "
          ~ "Remove the var and put the key in the environment variable " ~ variable ~ " "
          ~ "(generate one with `pii-guard keygen`; see " ~ ("docs/engines-and-keys.md, 'Key setup'" if kind == 'hmac' else "docs/macros.md, 'Encryption'") ~ ").") }}
    {%- endif -%}
  {%- endfor -%}
{%- endmacro %}
