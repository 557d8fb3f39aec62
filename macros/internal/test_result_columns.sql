{#- What a failing row of a pii_guard test shows of a value: test results are
    stored (dbt test --store-failures) where people not cleared for PII read
    them, so never the raw text. -#}

{#- The value's first character and its length in characters, 'a***(19)';
    a value shorter than 4 characters shows only its length, '***(3)'. NULL
    stays NULL. -#}
{% macro masked_value(expression) -%}
  {%- set text = pii_guard.as_text(expression) -%}
  {%- set length = pii_guard.as_text('length(' ~ text ~ ')') -%}
case when {{ text }} is null then null
     when length({{ text }}) < 4 then concat('***(', {{ length }}, ')')
     else concat(substr({{ text }}, 1, 1), '***(', {{ length }}, ')') end
{%- endmacro %}

{#- The row_key a failing row carries: the key_column the test was given
    (a surrogate or business key, not PII), else the row's number when the
    model is ordered by the tested column (NULLs last), which whoever may read
    the model can recompute. -#}
{% macro row_key(test_name, key_column, column_name) -%}
  {%- if key_column is none -%}
    {{ return('row_number() over (order by ' ~ column_name ~ ' nulls last)') }}
  {%- endif -%}
  {%- if key_column is not string or key_column | trim == '' -%}
    {{ pii_guard.argument_error(test_name, "key_column must be the name of a column that identifies a row (not PII, e.g. order_id); got " ~ key_column ~ ".") }}
  {%- endif -%}
  {{ return(key_column) }}
{%- endmacro %}
