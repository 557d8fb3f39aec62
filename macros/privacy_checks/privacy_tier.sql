{#- 'safe', 'restricted' or none for a manifest node (see tier_declaration),
    or 'invalid' for a privacy_tier no rule reads: never safe for grants, and
    an error of the no_pii_in_safe_models test. -#}
{% macro privacy_tier(node) -%}
  {%- set declared = pii_guard.tier_declaration(node) -%}
  {{ return('invalid' if declared.problem is not none else declared.tier) }}
{%- endmacro %}
