{#- The policy vocabulary, the one description protected_select and
    `pii-guard classify` both use: this macro returns it, and
    scripts/pii_guard/policies.py holds the same object (a test keeps them
    equal, so keep this a JSON object).

      treatments  every treatment a column's meta may name, with the arguments
                  it takes (treatment_args) and whether it keeps the column's
                  type: hash, masks and encrypt_pii (AES-256-GCM,
                  reversible by cleared readers: decrypt_pii) give text, nullify keeps the type and
                  holds NULL, drop removes the column, keep passes it as is
                  (a PII column kept needs a reason: meta treatment_reason)
      defaults    the treatment of each known pii_type when meta names none;
                  a project overrides or adds entries with the var
                  pii_guard_treatments ({pii_type: treatment} or
                  {pii_type: {treatment: ..., treatment_args: {...}}}). A PII
                  column whose pii_type has no default and no treatment is an
                  error (default deny) -#}
{% macro policy_rules() -%}
  {{ return({"treatments": {"hash": {"args": [], "keeps_type": false}, "hash_email": {"args": [], "keeps_type": false}, "hash_phone": {"args": [], "keeps_type": false}, "surrogate_key": {"args": [], "keeps_type": false}, "pseudonymize": {"args": ["min_value", "max_value"], "keeps_type": true}, "pseudonymize_int": {"args": ["min_value", "max_value"], "keeps_type": true}, "mask_email": {"args": [], "keeps_type": false}, "mask_phone": {"args": ["keep_last"], "keeps_type": false}, "age_bucket": {"args": ["as_of", "boundaries", "top_code"], "keeps_type": false}, "generalize_zip": {"args": ["digits"], "keeps_type": false}, "generalize_date": {"args": ["grain"], "keeps_type": true}, "shift_date": {"args": ["subject", "max_days"], "keeps_type": true}, "state_from_address": {"args": [], "keeps_type": false}, "encrypt_pii": {"args": [], "keeps_type": false}, "nullify": {"args": [], "keeps_type": true}, "drop": {"args": [], "keeps_type": false}, "keep": {"args": [], "keeps_type": true}}, "defaults": {"email": {"treatment": "hash_email"}, "phone": {"treatment": "hash_phone"}, "name": {"treatment": "hash"}, "customer_id": {"treatment": "pseudonymize"}, "identifier": {"treatment": "pseudonymize"}, "birth_date": {"treatment": "generalize_date", "treatment_args": {"grain": "year"}}, "date_of_service": {"treatment": "generalize_date", "treatment_args": {"grain": "month"}}, "address": {"treatment": "nullify"}, "zip": {"treatment": "generalize_zip"}, "national_id": {"treatment": "nullify"}, "card_number": {"treatment": "nullify"}, "ip_address": {"treatment": "hash"}}}) }}
{%- endmacro %}
