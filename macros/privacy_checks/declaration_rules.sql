{#- The rules for reading PII declarations, the one description both checks
    use: the dbt macros call this, and pii-guard check holds the same lists
    (scripts/pii_guard/lineage/declarations.py RULES; a test keeps them equal,
    so keep this a JSON object).

      pii_true, pii_false  meta pii strings, compared trimmed and lower-cased;
                           booleans and the integers 1 and 0 count too; any
                           other value is an error naming the node and column
      pii_tag              the tag that declares a column PII (any case)
      tiers                meta privacy_tier values (trimmed, any case); any
                           other is an error naming the model
      safe_folder          a folder of a model's path or fqn matching this
                           (lower-cased) looks safe: untiered models there are
                           a warning -#}
{% macro declaration_rules() -%}
  {{ return({"pii_true": ["true", "yes", "1", "on"], "pii_false": ["false", "no", "0", "off"], "pii_tag": "pii", "tiers": ["safe", "restricted"], "safe_folder": "(^|[_-])safe($|[_-])"}) }}
{%- endmacro %}
