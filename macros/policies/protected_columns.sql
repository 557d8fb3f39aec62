{#- What protected_select and build_safe_copy share: the protected select list
    of a relation from its yml declarations, and every reason it cannot be
    made, as {'select_list': ['<sql> as <name>', ...], 'problems': [...],
    'lifecycle_problems': [...], 'remove_unless': the condition rows must
    meet to be kept (retention action remove), or none}.
    Problems are returned, not raised, so callers can name all of them at
    once (build_safe_copy: over every source, before writing anything).

    The columns come from the warehouse when the relation exists, else from
    the yml (a column's data_type, when declared, stands for its type).

    lifecycle: also apply the relation's consent and retention (meta
    pii_guard, see lifecycle_policy) and the forget list (var
    pii_guard_forget_list): every PII column's treatment becomes
    `case when <consented> and <within retention> and <not forgotten> then <treatment> end`.
    protected_select and build_safe_copy do. -#}
{% macro protected_columns(relation, lifecycle=false) -%}
  {%- set described = pii_guard.declared_columns(relation) -%}
  {%- set nodes = described.nodes -%}
  {%- if not nodes -%}
    {{ return({'select_list': [], 'lifecycle_problems': [], 'problems': ['no source, seed or model of this project describes the relation, so no yml says how to protect its columns: declare it (a source table or a model with columns) and classify every column']}) }}
  {%- endif -%}
  {%- set declared = described.columns -%}

  {%- set built = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- set columns = [] -%}
  {%- if built is not none -%}
    {%- for column in adapter.get_columns_in_relation(built) -%}
      {%- do columns.append({'name': column.name, 'data_type': column.data_type}) -%}
    {%- endfor -%}
  {%- else -%}
    {%- for key, column in declared.items() -%}
      {%- do columns.append({'name': column.get('name') or key, 'data_type': column.get('data_type') or none}) -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set names = columns | map(attribute='name') | map('lower') | list -%}

  {%- set problems = [] -%}
  {%- set select_list = [] -%}
  {%- set conditions = [] -%}
  {%- set lifecycle_problems = [] -%}
  {%- set row_filter = namespace(sql=none) -%}
  {%- if lifecycle -%}
    {%- set declared_lifecycle = pii_guard.lifecycle_policy(relation, nodes, names) -%}
    {%- do lifecycle_problems.extend(declared_lifecycle.problems) -%}
    {%- set outer = pii_guard.lifecycle_outer_name(relation) -%}
    {%- if declared_lifecycle.consent is not none -%}
      {%- do conditions.append(pii_guard.lifecycle_consent_sql(declared_lifecycle.consent, outer)) -%}
    {%- endif -%}
    {%- set forget = pii_guard.forget_list() -%}
    {%- if forget is not none and declared_lifecycle.subject is not none -%}
      {%- do conditions.append(pii_guard.forget_list_sql(forget, declared_lifecycle.subject, outer)) -%}
    {%- elif forget is not none and not declared_lifecycle.problems -%}
      {%- for column in declared.values() if pii_guard.is_pii_column(column) -%}
        {%- if loop.first -%}
          {%- do lifecycle_problems.append('a forget list is declared (var pii_guard_forget_list) but the relation names no subject column, so a forgotten subject\'s PII would pass: add meta pii_guard.subject (the column identifying the data subject)') -%}
        {%- endif -%}
      {%- endfor -%}
    {%- endif -%}
    {%- if declared_lifecycle.retention is not none -%}
      {%- do conditions.append(pii_guard.lifecycle_retention_sql(declared_lifecycle.retention, outer)) -%}
      {%- if declared_lifecycle.retention.action == 'remove' -%}
        {%- set row_filter.sql = conditions[-1] -%}
      {%- endif -%}
    {%- endif -%}
  {%- endif -%}
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
        {%- set sql = ('case when ' ~ conditions | join(' and ') ~ ' then ' ~ treated.sql ~ ' end') if conditions and policy.pii else treated.sql -%}
        {%- do select_list.append(sql ~ ' as ' ~ pii_guard.column_identifier(column.name)) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, column in declared.items() if name not in names -%}
    {%- do problems.append((column.get('name') or name) ~ ' is declared in yml but the relation has no such column') -%}
  {%- endfor -%}
  {%- if columns and not select_list and not problems -%}
    {%- do problems.append('every column is dropped, so there is nothing to select: keep at least one column (a treatment other than drop)') -%}
  {%- endif -%}
  {{ return({'select_list': select_list, 'problems': problems, 'lifecycle_problems': lifecycle_problems, 'remove_unless': row_filter.sql}) }}
{%- endmacro %}

{#- The yml declarations of a relation's columns, as {'nodes': the nodes
    describing it, 'columns': {lower-cased name: column}}. A seed and the
    source over it describe one table: a source's declaration comes first,
    and a column any of them declares PII (or unreadably) is PII, as in
    pii_declaration. protected_columns (what the SQL does) and
    expand_protected_selects (what the dbt-side checks read) both use this,
    so they never disagree about a column. -#}
{% macro declared_columns(relation) -%}
  {%- set nodes = pii_guard.nodes_for_relation(relation) -%}
  {%- set declared = {} -%}
  {%- for node in nodes | sort(attribute='resource_type', reverse=true) -%}
    {%- for key, column in (node.get('columns') or {}).items() -%}
      {%- set name = (column.get('name') or key) | lower -%}
      {%- if name not in declared or (pii_guard.is_pii_column(column) and not pii_guard.is_pii_column(declared[name])) -%}
        {%- do declared.update({name: column}) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return({'nodes': nodes, 'columns': declared}) }}
{%- endmacro %}

{#- One message for a relation's problems, with what to do. -#}
{% macro policy_problems_message(problems) -%}
  {{ return(problems | length ~ ' column(s) cannot be protected: ' ~ problems | join('; ')
      ~ ". Every column needs meta pii true or false; PII needs a pii_type with a default treatment or a meta treatment; see docs/macros.md, 'Policies in yml'.") }}
{%- endmacro %}
