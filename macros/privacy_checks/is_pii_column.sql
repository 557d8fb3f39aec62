{#- True when a column from the manifest (a source's, seed's or model's) is
    declared PII (see pii_declaration), or declared in a way no rule reads:
    that is an error of the no_pii_in_safe_models test, never "not PII". -#}
{% macro is_pii_column(column) -%}
  {%- set declared = pii_guard.pii_declaration(column) -%}
  {{ return(declared.pii is sameas true or declared.problem is not none) }}
{%- endmacro %}
