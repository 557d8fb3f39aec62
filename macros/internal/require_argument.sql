{#- Argument checks shared by the macros and the generic tests. -#}
{% macro require_column_list(macro_name, argument, columns) -%}
  {%- if columns is string or columns is mapping or columns is not iterable or columns | length == 0
        or columns | reject('string') | list or columns | map('trim') | select('equalto', '') | list -%}
    {{ pii_guard.argument_error(macro_name, argument ~ " must be a non-empty list of column names; got " ~ columns ~ ".") }}
  {%- endif -%}
{%- endmacro %}

{% macro require_whole_number(macro_name, argument, value, minimum) -%}
  {%- if value is not number or value is sameas true or value is sameas false or value != value | int or value < minimum -%}
    {{ pii_guard.argument_error(macro_name, argument ~ " must be a whole number, at least " ~ minimum ~ "; got " ~ value ~ ".") }}
  {%- endif -%}
{%- endmacro %}

{#- A column expression must be SQL text: a list, dict, number or none would be
    rendered as a constant ("['email']") and give every row the same output
    (one hash for all rows). -#}
{% macro require_expression(macro_name, argument, value, hint='') -%}
  {%- if value is not string or value | trim == '' -%}
    {%- if value is none -%}{%- set kind = 'none' -%}
    {%- elif value is sameas true or value is sameas false -%}{%- set kind = 'a boolean' -%}
    {%- elif value is number -%}{%- set kind = 'a number' -%}
    {%- elif value is mapping -%}{%- set kind = 'a dict' -%}
    {%- elif value is string -%}{%- set kind = 'an empty string' -%}
    {%- elif value is iterable -%}{%- set kind = 'a list' -%}
    {%- else -%}{%- set kind = 'not a string' -%}
    {%- endif -%}
    {{ pii_guard.argument_error(macro_name, argument ~ " must be a SQL expression in a string, usually a quoted column name such as 'email'; got " ~ (value | string if value is not string else "''") ~ " (" ~ kind ~ ")." ~ (' ' ~ hint if hint else '')) }}
  {%- endif -%}
{%- endmacro %}
