{#- Gives `role` read access to the schemas that hold safe-tier models (meta
    privacy_tier: safe, or access: public), and to nothing else: restricted and
    staging schemas stay closed, so the warehouse enforces the tier boundary.
    Run it after the build, e.g. in dbt_project.yml:

      on-run-end: "{{ pii_guard.grant_safe_tier('analyst') }}"

    Tables created later in those schemas are covered too (default privileges
    for the role that runs dbt). Schemas not created yet are skipped. -#}
{% macro grant_safe_tier(role) -%}
  {%- if role is not string or not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', role) -%}
    {{ pii_guard.argument_error('grant_safe_tier', "role must be a plain role name; got " ~ role ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('grant_safe_tier', 'pii_guard')(role)) }}
{%- endmacro %}

{% macro default__grant_safe_tier(role) -%}
  {{ pii_guard.unsupported_adapter('grant_safe_tier', ['postgres']) }}
{%- endmacro %}

{% macro postgres__grant_safe_tier(role) -%}
  {%- set schemas = [] -%}
  {%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and pii_guard.privacy_tier(node) == 'safe'
          and node.config.materialized != 'ephemeral' and node.schema not in schemas -%}
      {#- A run that built nothing there yet (dbt seed) has nothing to grant. -#}
      {%- if adapter.check_schema_exists(node.database, node.schema) -%}
        {%- do schemas.append(node.schema) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for schema in schemas | sort %}
grant usage on schema {{ adapter.quote(schema) }} to {{ role }};
grant select on all tables in schema {{ adapter.quote(schema) }} to {{ role }};
alter default privileges in schema {{ adapter.quote(schema) }} grant select on tables to {{ role }};
  {%- endfor %}
{%- endmacro %}
