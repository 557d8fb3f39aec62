{#- The pii_guard macros whose output no longer identifies a person directly.
    Not age_years: an exact age is a quasi-identifier, and over 89 it is PII
    under HIPAA. encrypt_pii: its output is ciphertext (AES-256-GCM); never
    decrypt_pii, whose output is the PII again. -#}
{% macro protecting_macros() -%}
  {{ return(['hash_pii', 'surrogate_key', 'age_bucket', 'generalize_zip', 'generalize_date',
             'mask_email', 'mask_phone', 'redact', 'state_from_address', 'shift_date', 'pseudonymize_int',
             'encrypt_pii']) }}
{%- endmacro %}
