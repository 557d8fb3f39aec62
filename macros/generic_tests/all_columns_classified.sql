{#- Fails with one row per column the warehouse has for this relation that its
    yml does not classify (meta pii true or false, or the pii tag, in meta or
    config.meta, as declaration_rules() spells them; any other pii value is
    a failing row saying so): a column that appears upstream fails the build until someone
    decides whether it is PII. Works on models, seeds, snapshots and sources.
    Columns: column_name, reason. -#}
{% test all_columns_classified(model) %}
  {{ return(adapter.dispatch('test_all_columns_classified', 'pii_guard')(model)) }}
{% endtest %}

{% macro default__test_all_columns_classified(model) %}
  {%- set problems = [] -%}
  {%- if execute -%}
    {#- name -> classified?, over every node describing this relation; a
        declaration no rule reads -> its problem (never classified) -#}
    {%- set declared = {} -%}
    {%- set unreadable = {} -%}
    {%- for node in pii_guard.nodes_for_relation(model) -%}
      {%- for column in (node.get('columns') or {}).values() -%}
        {%- set declaration = pii_guard.pii_declaration(column) -%}
        {%- if declaration.problem -%}{%- do unreadable.update({column.name | lower: declaration.problem}) -%}{%- endif -%}
        {%- do declared.update({column.name | lower: declared.get(column.name | lower) or pii_guard.is_classified_column(column)}) -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
      {%- set classified = declared.get(column.name | lower) -%}
      {%- if column.name | lower in unreadable -%}
        {%- do problems.append({'column_name': column.name, 'reason': 'meta pii ' ~ unreadable[column.name | lower] ~ ': set pii true or false'}) -%}
      {%- elif classified is none -%}
        {%- do problems.append({'column_name': column.name, 'reason': 'not declared in yml: add it with meta {pii: true|false}'}) -%}
      {%- elif not classified -%}
        {%- do problems.append({'column_name': column.name, 'reason': 'declared without meta pii: set pii true or false'}) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {{ pii_guard.rows_as_sql(['column_name', 'reason'], problems) }}
{% endmacro %}
