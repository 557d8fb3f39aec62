{#- The relations (tables and views) in one schema, read from the warehouse
    now (not dbt's cache), as relations; [] when the schema does not exist. -#}
{% macro relations_in_schema(database, schema) -%}
  {%- if not adapter.check_schema_exists(database, schema) -%}{{ return([]) }}{%- endif -%}
  {{ return(adapter.dispatch('relations_in_schema', 'pii_guard')(database, schema)) }}
{%- endmacro %}

{% macro default__relations_in_schema(database, schema) -%}
  {%- set found = [] -%}
  {%- set listed = list_relations_without_caching(api.Relation.create(database=database, schema=schema).without_identifier()) -%}
  {%- for row in listed.rows -%}
    {%- do found.append(api.Relation.create(database=row['database'], schema=row['schema'], identifier=row['name'])) -%}
  {%- endfor -%}
  {{ return(found) }}
{%- endmacro %}

{#- Spark lists a schema's tables with SHOW TABLES (session views too, left out). -#}
{% macro spark__relations_in_schema(database, schema) -%}
  {%- set found = [] -%}
  {%- for row in run_query('show tables in ' ~ schema).rows if not row['isTemporary'] -%}
    {%- do found.append(api.Relation.create(schema=schema, identifier=row['tableName'])) -%}
  {%- endfor -%}
  {{ return(found) }}
{%- endmacro %}
