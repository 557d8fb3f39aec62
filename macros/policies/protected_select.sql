{#- The protected select list of a relation, from its yml declarations: every
    column of the relation, in order and under its own name, through the
    treatment its meta names (or its pii_type's default; see column_policy and
    policy_rules). Types are kept where the treatment can (nullify,
    pseudonymize_int, generalize_date, shift_date, keep); drop leaves the
    column out. Default deny: a column the relation has and the yml does not
    classify, a column the yml declares and the relation lacks, or a
    declaration that names no usable treatment stops compilation, all of them
    named in one error.

    The columns come from the warehouse when the relation exists, else from
    the yml (then a column's data_type, when declared, stands for its type).

    select {{ pii_guard.protected_select(source('crm', 'customers')) }}
    from {{ source('crm', 'customers') }} -#}
{% macro protected_select(relation) -%}
  {%- if relation is string or relation.identifier is not defined or relation.include is not defined -%}
    {{ pii_guard.argument_error('protected_select', "relation must be a relation such as source('crm', 'customers') or ref('stg_customers'); got " ~ relation ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('protected_select', 'pii_guard')(relation)) }}
{%- endmacro %}

{#- The same on every engine: the engines differ inside the treatments' macros. -#}
{% macro default__protected_select(relation) -%}
  {#- Parsing renders the model only to find its refs and sources. -#}
  {%- if not execute -%}{{ return('null as pii_guard_parse_placeholder') }}{%- endif -%}
  {%- set where = 'pii_guard.protected_select(' ~ relation ~ ')' -%}
  {%- set nodes = pii_guard.nodes_for_relation(relation) -%}
  {%- if not nodes -%}
    {{ exceptions.raise_compiler_error(where ~ ': no source, seed or model of this project describes the relation, so no yml says how to protect its columns. Declare it (a source table or a model with columns), then classify every column.') }}
  {%- endif -%}
  {#- Declared columns by lower-cased name; a source's yml first (a seed and
      the source over it describe one table). -#}
  {%- set declared = {} -%}
  {%- for node in nodes | sort(attribute='resource_type', reverse=true) -%}
    {%- for key, column in (node.get('columns') or {}).items() -%}
      {%- do declared.setdefault((column.get('name') or key) | lower, column) -%}
    {%- endfor -%}
  {%- endfor -%}

  {%- set built = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- set columns = [] -%}
  {%- if built is not none -%}
    {%- for column in adapter.get_columns_in_relation(built) -%}
      {%- do columns.append({'name': column.name, 'data_type': column.data_type}) -%}
    {%- endfor -%}
  {%- else -%}
    {%- for column in declared.values() -%}
      {%- do columns.append({'name': column.name, 'data_type': column.get('data_type') or none}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set names = columns | map(attribute='name') | map('lower') | list -%}

  {%- set problems = [] -%}
  {%- set select_list = [] -%}
  {%- for column in columns -%}
    {%- set declaration = declared.get(column.name | lower) -%}
    {%- if declaration is none -%}
      {%- do problems.append(column.name ~ ' is in the relation but not declared in yml') -%}
    {%- else -%}
      {%- set policy = pii_guard.column_policy(declaration) -%}
      {%- set treated = pii_guard.treatment_sql(policy, column.name, column.data_type, names) if not policy.problem else {'problem': policy.problem} -%}
      {%- if treated.problem -%}
        {%- do problems.append(column.name ~ ' ' ~ treated.problem) -%}
      {%- elif treated.sql is not none -%}
        {%- do select_list.append(treated.sql ~ ' as ' ~ pii_guard.column_identifier(column.name)) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, column in declared.items() if name not in names -%}
    {%- do problems.append((column.name or name) ~ ' is declared in yml but the relation has no such column') -%}
  {%- endfor -%}
  {%- if problems -%}
    {{ exceptions.raise_compiler_error(where ~ ': ' ~ problems | length ~ ' column(s) cannot be protected: ' ~ problems | join('; ')
        ~ ". Every column needs meta pii true or false; PII needs a pii_type with a default treatment or a meta treatment; see the README, 'Policies in yml'.") }}
  {%- endif -%}
  {%- if not select_list -%}
    {{ exceptions.raise_compiler_error(where ~ ': every column is dropped, so there is nothing to select. Keep at least one column (treatment other than drop).') }}
  {%- endif -%}
  {{ return(select_list | join(',\n    ')) }}
{%- endmacro %}
