{#- True when a column from the manifest (a source's, seed's or model's) is
    declared PII: meta pii true, or the pii tag, in the column's meta/tags or
    in its config.meta/config.tags. -#}
{% macro is_pii_column(column) -%}
  {%- set config = column.get('config') or {} -%}
  {%- for meta in [column.get('meta') or {}, config.get('meta') or {}] -%}
    {%- if meta.get('pii') in [true, 'true', 'True', 'yes'] -%}{{ return(true) }}{%- endif -%}
  {%- endfor -%}
  {%- for tags in [column.get('tags') or [], config.get('tags') or []] -%}
    {%- if 'pii' in tags -%}{{ return(true) }}{%- endif -%}
  {%- endfor -%}
  {{ return(false) }}
{%- endmacro %}

{#- True when the column says whether it is PII, either way: meta pii true or
    false, or the pii tag. -#}
{% macro is_classified_column(column) -%}
  {%- set config = column.get('config') or {} -%}
  {%- for meta in [column.get('meta') or {}, config.get('meta') or {}] -%}
    {%- if meta.get('pii') is not none -%}{{ return(true) }}{%- endif -%}
  {%- endfor -%}
  {{ return(pii_guard.is_pii_column(column)) }}
{%- endmacro %}
