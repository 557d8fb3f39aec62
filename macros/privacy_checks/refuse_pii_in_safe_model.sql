{#- A pre-hook for your project's models, the build-time guard of the
    no_pii_in_safe_models rules:

      # dbt_project.yml (a package cannot set hooks on your models)
      models:
        my_project:  # the name: at the top of your dbt_project.yml
          +pre-hook: "{{ pii_guard.refuse_pii_in_safe_model() }}"

    Before a safe model (meta privacy_tier: safe, or access: public) is built,
    it runs the same checks as the no_pii_in_safe_models test on that one
    model, with a * checked against the columns its compiled SQL returns now
    (its parents were just built), and fails the model with a compilation
    error when PII reaches it: the materialization has not created or replaced
    anything yet, so the relation built last time stays as it was. Accepted
    findings (var pii_guard_allow) are logged and do not fail. Other models,
    and parsing, cost nothing. Renders to no SQL. -#}
{% macro refuse_pii_in_safe_model() -%}
  {{ return(adapter.dispatch('refuse_pii_in_safe_model', 'pii_guard')()) }}
{%- endmacro %}

{#- Portable: it reads columns through dbt's own dispatched macros, and drops
    a view with standard SQL. -#}
{% macro default__refuse_pii_in_safe_model() -%}
  {%- set node = graph.nodes.get(model.unique_id) if execute and model is defined and model else none -%}
  {#- An unreadable tier is not skipped: the walk below stops it with the error. -#}
  {%- if node is none or node.resource_type != 'model' or pii_guard.privacy_tier(node) not in ['safe', 'invalid'] -%}
    {{ return('') }}
  {%- endif -%}
  {%- set columns = get_columns_in_query(model.compiled_code) if model.get('language', 'sql') == 'sql' and model.compiled_code else none -%}
  {%- set violations = [] -%}
  {%- set refused_columns = [] -%}
  {%- for finding in pii_guard.find_pii_in_safe_models(only=node.unique_id, output_columns=columns) if finding.model == node.unique_id -%}
    {#- The reason names the origin column and the alias it reached. -#}
    {%- set line = (finding.column_name or '(model)') ~ ': ' ~ finding.reason -%}
    {%- if finding.status == 'violation' -%}
      {%- do violations.append(line) -%}
      {%- do refused_columns.append((finding.column_name or '') | lower) -%}
    {%- else -%}
      {%- do log('pii_guard: ' ~ finding.status ~ ': ' ~ node.unique_id ~ '.' ~ line ~ ' (' ~ finding.note ~ ')', info=true) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if violations -%}
    {#- A view built last time with select * may already show the new PII
        column of its rebuilt parent (DuckDB binds a view's * when it is read):
        it is dropped rather than left leaking. -#}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- set leaking = [] -%}
    {%- if existing is not none and existing.is_view -%}
      {%- for column in adapter.get_columns_in_relation(existing) if column.name | lower in refused_columns -%}
        {%- do leaking.append(column.name) -%}
      {%- endfor -%}
    {%- endif -%}
    {%- if leaking -%}
      {%- call statement('pii_guard_drop_leaking_view', auto_begin=True) -%}drop view if exists {{ existing }}{%- endcall -%}
      {%- do adapter.commit() if target.type in ['postgres', 'duckdb'] -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("pii_guard: refusing to build the safe model " ~ node.unique_id ~ ": PII reaches it.\n  - "
        ~ violations | join("\n  - ")
        ~ ("\nThe view built last time already showed " ~ leaking | join(", ") ~ " through its rebuilt parents: it was dropped."
           if leaking else "\nNothing was created or replaced; the relation built last time, if any, is unchanged.")
        ~ " Protect each column"
        ~ " with a pii_guard macro (hash_pii, mask_email, redact, ...) or stop selecting it, move the model out of the"
        ~ " safe tier, or accept the finding with a reason in the var pii_guard_allow.") }}
  {%- endif -%}
  {{ return('') }}
{%- endmacro %}
