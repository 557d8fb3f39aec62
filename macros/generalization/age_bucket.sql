{#- Age band label from a birth date, with ages at or over top_code in one
    top band (HIPAA Safe Harbor: ages over 89 are aggregated into "90 or
    older", so top_code may not exceed 90).

    Defaults give: 'under 18', '18-25', '26-35', '36-50', '51-64', '65-89',
    '90+'; NULL for a NULL or future birth date.

    {{ pii_guard.age_bucket('birth_date', boundaries=[18, 30, 65]) }} -#}
{% macro age_bucket(dob, as_of='current_date', boundaries=[18, 26, 36, 51, 65], top_code=90) -%}
  {{ pii_guard.require_expression('age_bucket', 'dob', dob) }}
  {{ pii_guard.require_expression('age_bucket', 'as_of', as_of) }}
  {%- if top_code is not number or top_code is string or top_code < 1 or top_code > 90 or top_code != top_code | int -%}
    {{ pii_guard.argument_error('age_bucket', "top_code must be a whole number from 1 to 90 (HIPAA Safe Harbor puts every age over 89 in one band); got " ~ top_code ~ ".") }}
  {%- endif -%}
  {%- if boundaries is string or boundaries is not iterable or boundaries | length == 0 -%}
    {{ pii_guard.argument_error('age_bucket', "boundaries must be a non-empty list of ages; got " ~ boundaries ~ ".") }}
  {%- endif -%}
  {%- for age in boundaries -%}
    {%- if age is not number or age is string or age != age | int or age < 1 or age >= top_code or (not loop.first and age <= loop.previtem) -%}
      {{ pii_guard.argument_error('age_bucket', "boundaries must be whole numbers in increasing order, each at least 1 and below top_code (" ~ top_code ~ "); got " ~ boundaries ~ ".") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(adapter.dispatch('age_bucket', 'pii_guard')(dob, as_of, boundaries, top_code)) }}
{%- endmacro %}

{% macro default__age_bucket(dob, as_of, boundaries, top_code) -%}
  {{ pii_guard.unsupported_adapter('age_bucket') }}
{%- endmacro %}

{% macro postgres__age_bucket(dob, as_of, boundaries, top_code) -%}
  {{ pii_guard.duckdb__age_bucket(dob, as_of, boundaries, top_code) }}
{%- endmacro %}

{% macro spark__age_bucket(dob, as_of, boundaries, top_code) -%}
  {{ pii_guard.duckdb__age_bucket(dob, as_of, boundaries, top_code) }}
{%- endmacro %}

{% macro duckdb__age_bucket(dob, as_of, boundaries, top_code) -%}
  {{ pii_guard.age_band_case(pii_guard.age_years(dob, as_of), boundaries, top_code) }}
{%- endmacro %}

{#- The CASE over an age expression, shared by every adapter: plain SQL. -#}
{% macro age_band_case(age, boundaries, top_code) -%}
  {%- set lows = [none] + (boundaries | list) -%}
  {%- set highs = (boundaries | list) + [top_code] -%}
case
  when ({{ age }}) is null then null
  {%- for high in highs %}
  {%- set low = lows[loop.index0] %}
  when ({{ age }}) < {{ high }} then '{{ "under " ~ high if low is none else low ~ "-" ~ (high - 1) }}'
  {%- endfor %}
  else '{{ top_code }}+'
end
{%- endmacro %}
