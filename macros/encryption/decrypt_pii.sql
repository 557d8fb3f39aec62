{#- The plaintext of an encrypt_pii ciphertext, for cleared readers only;
    everyone else gets NULL (never an error, so one view serves both). A
    cleared reader's value that is not a ciphertext, or fails authentication
    (another key, or altered), raises. The output is PII again: the checks
    never count decrypt_pii as protection.

    Who is cleared, per engine (docs/macros.md, Encryption):
      PostgreSQL  members of the keyring's cleared role (pii-guard
                  postgres-keyring --cleared-role), by session_user, checked
                  inside the keyring's SECURITY DEFINER function at query time
      DuckDB      the session whose pii_guard plugin has `decrypt: true` in
                  its config (and the key): DuckDB has no roles
      Spark       current_user() in the var pii_guard_cleared_users, checked
                  when the statement runs; Spark refuses it in views (the key)

    {{ pii_guard.decrypt_pii('email_encrypted') }} -#}
{% macro decrypt_pii(column) -%}
  {{ pii_guard.refuse_key_in_vars('decrypt_pii', kind='encryption') }}
  {{ pii_guard.require_expression('decrypt_pii', 'column', column, "Decrypt one column per call.") }}
  {{- return(adapter.dispatch('decrypt_pii', 'pii_guard')(column)) -}}
{%- endmacro %}

{% macro default__decrypt_pii(column) -%}
  {{ pii_guard.unsupported_adapter('decrypt_pii') }}
{%- endmacro %}

{% macro duckdb__decrypt_pii(column) -%}
  {{- pii_guard.require_plugin_function('pii_guard_decrypt', 'decryption function', 'decrypt_pii') -}}
pii_guard_decrypt({{ pii_guard.as_text(column) }})
{%- endmacro %}

{% macro postgres__decrypt_pii(column) -%}
  {{- pii_guard.require_keyring_function('decrypt_pii(text)', 'decrypt_pii') -}}
{{ pii_guard.keyring_schema() }}.decrypt_pii({{ pii_guard.as_text(column) }})
{%- endmacro %}

{% macro spark__decrypt_pii(column) -%}
  {%- set users = var('pii_guard_cleared_users', []) -%}
  {%- if users is string or users is not iterable -%}
    {{ pii_guard.argument_error('decrypt_pii', "the var pii_guard_cleared_users must be a list of user names; got " ~ tojson(users) ~ ".") }}
  {%- endif -%}
  {%- if users | length == 0 -%}
cast(null as string)
  {%- else -%}
  {%- set key = pii_guard.spark_encryption_key('decrypt_pii') -%}
case when current_user() in ({% for user in users %}'{{ user | replace("\\", "\\\\") | replace("'", "\\'") }}'{{ ", " if not loop.last }}{% endfor %})
  then cast(aes_decrypt(unbase64({{ pii_guard.as_text(column) }}), {{ key }}, 'GCM', 'DEFAULT') as string)
end
  {%- endif -%}
{%- endmacro %}
