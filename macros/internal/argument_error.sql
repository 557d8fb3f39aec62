{#- One shape for every bad-argument error: which macro, what is wrong, what to do. -#}
{% macro argument_error(macro_name, message) -%}
  {{ exceptions.raise_compiler_error("pii_guard." ~ macro_name ~ ": " ~ message) }}
{%- endmacro %}
