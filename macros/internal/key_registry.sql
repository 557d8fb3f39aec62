{#- The key registry: pii_guard_key_registry(relation, fingerprint, recorded_at)
    in the target schema, one row each time a relation is built under a key
    different from its latest recorded one. Append-only, so it needs nothing
    beyond create table and insert on any engine (Spark's Parquet tables have
    no update or merge). Used by the run hooks check_key_fingerprints and
    record_key_fingerprints. -#}
{% macro key_registry_relation() -%}
  {{ return(api.Relation.create(database=target.get('database'), schema=target.schema, identifier='pii_guard_key_registry', type='table')) }}
{%- endmacro %}

{#- How the registry names a node's relation: dbt's relation_name, the same in both hooks. -#}
{% macro key_registry_name(node) -%}
  {{ return(node.relation_name or ([node.database, node.schema, node.alias] | reject('none') | join('.'))) }}
{%- endmacro %}

{#- {relation name: latest recorded fingerprint}; empty when there is no registry yet. -#}
{% macro recorded_key_fingerprints() -%}
  {%- set registry = pii_guard.key_registry_relation() -%}
  {%- if adapter.get_relation(database=registry.database, schema=registry.schema, identifier=registry.identifier) is none -%}
    {{ return({}) }}
  {%- endif -%}
  {%- set latest = {} -%}
  {%- for row in run_query("select relation, fingerprint from " ~ registry ~ " order by recorded_at") -%}
    {%- do latest.update({row[0]: row[1]}) -%}
  {%- endfor -%}
  {{ return(latest) }}
{%- endmacro %}

{#- The fingerprint of the key this dbt session computes with, from the warehouse itself. -#}
{% macro current_key_fingerprint() -%}
  {%- set fingerprint = run_query("select " ~ pii_guard.key_fingerprint() ~ " as fingerprint").columns[0].values()[0] -%}
  {%- if fingerprint is not string or not modules.re.fullmatch('[0-9a-f]{16}', fingerprint) -%}
    {{ pii_guard.argument_error('key_fingerprint', "the warehouse returned " ~ fingerprint ~ " as the key fingerprint instead of 16 hex characters. Check the key setup (docs/engines-and-keys.md, Key setup).") }}
  {%- endif -%}
  {{ return(fingerprint) }}
{%- endmacro %}

{#- True when this run rebuilds the node from scratch instead of adding to it
    (dbt's should_full_refresh: the model's full_refresh config, else --full-refresh). -#}
{% macro full_refresh_applies(node) -%}
  {%- set configured = node.config.get('full_refresh') -%}
  {{ return(flags.FULL_REFRESH if configured is none else configured) }}
{%- endmacro %}

{% macro create_key_registry(relation) -%}
  {{ return(adapter.dispatch('create_key_registry', 'pii_guard')(relation)) }}
{%- endmacro %}
{% macro default__create_key_registry(relation) -%}
create table if not exists {{ relation }} (relation {{ dbt.type_string() }}, fingerprint {{ dbt.type_string() }}, recorded_at {{ dbt.type_timestamp() }})
{%- endmacro %}
{#- Parquet: readable on every Spark, whatever table format the project uses. -#}
{% macro spark__create_key_registry(relation) -%}
create table if not exists {{ relation }} (relation string, fingerprint string, recorded_at timestamp) using parquet
{%- endmacro %}

{#- A SQL string literal holding `text`. -#}
{% macro sql_string(text) -%}
  {{ return(adapter.dispatch('sql_string', 'pii_guard')(text)) }}
{%- endmacro %}
{% macro default__sql_string(text) -%}'{{ text | replace("'", "''") }}'{%- endmacro %}
{#- Spark reads backslash escapes in literals, and 'a''b' as two literals 'a' 'b'. -#}
{% macro spark__sql_string(text) -%}'{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'{%- endmacro %}
