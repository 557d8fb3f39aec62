{#- Fails with one row per row of the model that is past retention (its
    column before as_of minus days, or NULL) and still holds PII: a non-null
    value in any of pii_columns. The failing rows name the PII columns that
    hold a value (non_null_pii), never the values. pii_columns default to the
    model's columns declared PII in its yml; as_of to the var
    pii_guard_as_of, else the warehouse's current_date (docs/lifecycle.md, 'The data
    subject's lifecycle').

      - pii_guard.no_pii_past_retention:
          arguments: {column: created_at, days: 365, pii_columns: [email, full_name]} -#}
{% test no_pii_past_retention(model, column, days, pii_columns=none, as_of=none) %}
  {%- if column is not string or not column | trim -%}
    {{ pii_guard.argument_error('no_pii_past_retention', "column must name the model's date or timestamp column that retention counts from; got " ~ column ~ ".") }}
  {%- endif -%}
  {%- if days is not number or days is sameas true or days is sameas false or days != days | int or days < 0 -%}
    {{ pii_guard.argument_error('no_pii_past_retention', "days must be a whole number of days, 0 or more; got " ~ days ~ ".") }}
  {%- endif -%}
  {%- set checked_as_of = pii_guard.lifecycle_as_of(as_of) -%}
  {%- if checked_as_of.problem -%}
    {{ pii_guard.argument_error('no_pii_past_retention', "as_of " ~ checked_as_of.problem ~ ".") }}
  {%- endif -%}
  {%- if pii_columns is none and execute -%}
    {%- set pii_columns = [] -%}
    {%- for node in pii_guard.nodes_for_relation(model) -%}
      {%- for key, declared in (node.get('columns') or {}).items() if pii_guard.pii_declaration(declared).pii -%}
        {%- do pii_columns.append(declared.get('name') or key) -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- if not pii_columns -%}
      {{ pii_guard.argument_error('no_pii_past_retention', "pii_columns is not given and the model's yml declares no column pii: true; name the PII columns to check.") }}
    {%- endif -%}
  {%- elif pii_columns is none -%}
    {%- set pii_columns = [] -%}
  {%- else -%}
    {{ pii_guard.require_column_list('no_pii_past_retention', 'pii_columns', pii_columns) }}
  {%- endif -%}
  {{ return(adapter.dispatch('test_no_pii_past_retention', 'pii_guard')(model, column, days | int, pii_columns, checked_as_of.date)) }}
{% endtest %}

{% macro default__test_no_pii_past_retention(model, column, days, pii_columns, as_of) %}
{%- if not pii_columns -%}
select 1 as non_null_pii where 1 = 0
{%- else -%}
{%- set held = [] -%}
{%- for name in pii_columns -%}
  {%- do held.append("case when " ~ pii_guard.column_identifier(name) ~ " is not null then '" ~ name ~ "' end") -%}
{%- endfor -%}
select non_null_pii
from (
  select concat_ws(', ', {{ held | join(', ') }}) as non_null_pii
  from {{ model }}
  where not coalesce({{ pii_guard.column_identifier(column) }} >= {{ pii_guard.lifecycle_cutoff_sql(days, as_of) }}, false)
) as past_retention
where non_null_pii <> ''
{%- endif -%}
{% endmacro %}
