{#- Argument checks shared by the generic tests. -#}
{% macro require_column_list(macro_name, argument, columns) -%}
  {%- if columns is string or columns is mapping or columns is not iterable or columns | length == 0 -%}
    {{ pii_guard.argument_error(macro_name, argument ~ " must be a non-empty list of column names; got " ~ columns ~ ".") }}
  {%- endif -%}
{%- endmacro %}

{% macro require_whole_number(macro_name, argument, value, minimum) -%}
  {%- if value is not number or value is sameas true or value is sameas false or value != value | int or value < minimum -%}
    {{ pii_guard.argument_error(macro_name, argument ~ " must be a whole number, at least " ~ minimum ~ "; got " ~ value ~ ".") }}
  {%- endif -%}
{%- endmacro %}
