{#- True when the column says whether it is PII, either way, readably: meta
    pii true or false (as declaration_rules() spells them), or the pii tag. -#}
{% macro is_classified_column(column) -%}
  {%- set declared = pii_guard.pii_declaration(column) -%}
  {{ return(declared.pii is not none and declared.problem is none) }}
{%- endmacro %}
