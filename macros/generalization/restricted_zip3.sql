{#- HIPAA Safe Harbor: the initial three digits of a ZIP code may be kept only
    where the area they cover holds more than 20,000 people; the others become
    000. This is the list from the 2000 Census that HHS publishes. To update it,
    set the var in your dbt_project.yml:

      vars:
        pii_guard_restricted_zip3: ['036', '059', ...] -#}
{% macro restricted_zip3() -%}
  {%- set zip3s = var('pii_guard_restricted_zip3', [
      '036', '059', '063', '102', '203', '556', '692', '790', '821',
      '823', '830', '831', '878', '879', '884', '890', '893']) -%}
  {%- if zip3s is string or zip3s is not iterable -%}
    {{ pii_guard.argument_error('generalize_zip', "the var pii_guard_restricted_zip3 must be a list of three-digit strings; got " ~ zip3s ~ ".") }}
  {%- endif -%}
  {%- for zip3 in zip3s -%}
    {%- if zip3 is not string or not modules.re.fullmatch('[0-9]{3}', zip3) -%}
      {{ pii_guard.argument_error('generalize_zip', "the var pii_guard_restricted_zip3 must hold three-digit strings such as '036' (quote them in YAML so leading zeros survive); got " ~ zip3 ~ ".") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(zip3s | list) }}
{%- endmacro %}
