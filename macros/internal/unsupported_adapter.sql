{#- Raised by every default__ implementation: an engine pii_guard has not been
    tested on gets a compile error, never SQL that silently behaves differently. -#}
{% macro unsupported_adapter(macro_name, supported=['duckdb', 'postgres', 'spark']) -%}
  {{ exceptions.raise_compiler_error(
      "pii_guard." ~ macro_name ~ " is not implemented for adapter '" ~ adapter.type() ~ "'. "
      ~ "Supported adapters: " ~ supported | join(", ") ~ ". To bring your own, define " ~ adapter.type() ~ "__" ~ macro_name
      ~ " in your project and list it before pii_guard in `dispatch: [{macro_namespace: pii_guard, "
      ~ "search_order: [" ~ project_name ~ ", pii_guard]}]` in dbt_project.yml."
  ) }}
{%- endmacro %}
