{#- A salt or key in dbt vars sits in git, in target/ and in every compiled
    file: refuse it and say where the key belongs. -#}
{% macro refuse_key_in_vars(macro_name) -%}
  {%- for name in ['pii_salt', 'pii_guard_salt', 'pii_guard_key', 'pii_key', 'hash_salt', 'hashing_salt', 'salt'] -%}
    {%- if var(name, none) is not none -%}
      {{ pii_guard.argument_error(macro_name,
          "found the dbt var '" ~ name ~ "'. A salt or key in dbt vars is stored in git and written "
          ~ "into target/ and every compiled file, and sha256(value || salt) is not a keyed MAC. "
          ~ "Remove the var and put the key in the environment variable DBT_ENV_SECRET_PII_GUARD_KEY "
          ~ "(generate one with `pii-guard keygen`; see the README, 'Key setup').") }}
    {%- endif -%}
  {%- endfor -%}
{%- endmacro %}
