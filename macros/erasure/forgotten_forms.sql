{#- The forms a forgotten subject's values take downstream, as one SELECT of
    (origin_column, form), every form as text:

      the value itself, its keyed pseudonyms (hash_pii with no, email and
      phone normalization) and what its declared treatment makes of it
      (pseudonymize_int, shift_date, a mask...; encrypt_pii is random, so
      never a form);

    for every PII column (and the subject column) of each origin, a raw
    relation that declares its subject (meta pii_guard.subject). A form any
    subject not on the forget list also has (a shared first name, a ZIP3)
    is left out: it identifies no one, and erasing it would erase others.

    origins: [{'node': unique_id, 'subject': column, 'columns': [columns]}],
    as `pii-guard erase` plans them or forgotten_subjects_erased finds them. -#}
{% macro forgotten_forms_sql(origins, forget) -%}
  {%- set forget_relation = pii_guard.forget_list_relation(forget, in_model=false) -%}
  {%- set selects = [] -%}
  {%- for origin in origins -%}
    {%- set node = graph.sources.get(origin.node) or graph.nodes.get(origin.node) -%}
    {%- if node is none -%}
      {{ exceptions.raise_compiler_error('pii_guard: ' ~ origin.node ~ ' is no node of this project: plan the erasure again from a fresh manifest (dbt compile, then pii-guard erase).') }}
    {%- endif -%}
    {%- set relation = pii_guard.node_relation(node) -%}
    {%- set built = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if built is none -%}
      {{ exceptions.raise_compiler_error('pii_guard: ' ~ relation ~ ' (' ~ origin.node ~ ') does not exist, so its forgotten subjects\' values cannot be known: erasure reads them from the raw relation.') }}
    {%- endif -%}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(built) -%}
      {%- do types.update({column.name | lower: column}) -%}
    {%- endfor -%}
    {%- set declared = pii_guard.declared_columns(relation).columns -%}
    {%- set rows = "(select pii_guard_origin.*, case when pii_guard_forget.subject is null then 0 else 1 end as pii_guard_forgotten from "
        ~ relation ~ " as pii_guard_origin left join (select distinct " ~ pii_guard.as_text(forget.subject_column) ~ " as subject from "
        ~ forget_relation ~ ") as pii_guard_forget on " ~ pii_guard.as_text('pii_guard_origin.' ~ pii_guard.column_identifier(origin.subject))
        ~ " = pii_guard_forget.subject) as pii_guard_rows" -%}
    {%- for name in origin.columns -%}
      {%- set column = types.get(name | lower) -%}
      {%- if column is none -%}
        {{ exceptions.raise_compiler_error('pii_guard: ' ~ relation ~ ' has no column ' ~ name ~ ': plan the erasure again from a fresh manifest.') }}
      {%- endif -%}
      {%- set quoted = pii_guard.column_identifier(column.name) -%}
      {%- set forms = [pii_guard.as_text(quoted), pii_guard.hash_pii(quoted), pii_guard.hash_pii(quoted, normalize='email'), pii_guard.hash_pii(quoted, normalize='phone')] -%}
      {%- set declaration = declared.get(name | lower) -%}
      {%- if declaration is not none -%}
        {%- set policy = pii_guard.column_policy(declaration) -%}
        {%- if not policy.problem and policy.treatment not in ['keep', 'drop', 'nullify', 'encrypt_pii', 'hash', 'hash_email', 'hash_phone'] -%}
          {%- set treated = pii_guard.treatment_sql(policy, column.name, column.data_type, types.keys() | list) -%}
          {%- if not treated.problem and treated.sql is not none -%}
            {%- do forms.append(pii_guard.as_text(treated.sql)) -%}
          {%- endif -%}
        {%- endif -%}
      {%- endif -%}
      {%- for form in forms -%}
        {%- do selects.append("select '" ~ origin.node ~ "." ~ name | lower ~ "' as origin_column, " ~ form ~ " as form, pii_guard_forgotten from " ~ rows) -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if not selects -%}
    {{ return("select cast(null as " ~ dbt.type_string() ~ ") as origin_column, cast(null as " ~ dbt.type_string() ~ ") as form where 1 = 0") }}
  {%- endif -%}
  {{ return("select origin_column, form from (\n" ~ selects | join("\nunion all\n") ~ "\n) as pii_guard_all_forms where form is not null group by origin_column, form having min(pii_guard_forgotten) = 1") }}
{%- endmacro %}
