{#- Scans a text column's values for PII nobody tagged: the guard for free-text
    columns (notes, comments, user agents) where an email or a card number gets
    pasted. Fails with one row per offending value, with `detected` listing the
    detectors that matched.

    detectors (default: all):
      email        name@domain.tld
      phone        US numbers with separators (617-555-0123, (617) 555 0123,
                   +1 617.555.0123) and international numbers written with a
                   leading + and separated groups (+44 20 7946 0958)
      ssn          US SSNs written ddd-dd-dddd, except impossible ones
                   (area 000, 666 or 9xx, group 00, serial 0000)
      credit_card  13 to 19 digits, optionally grouped with spaces or hyphens,
                   that pass the Luhn checksum (random digit strings mostly don't)
      ipv4         dotted quads with every octet 0-255

      - pii_guard.no_pii_values:
          arguments: {detectors: [email, phone]} -#}
{% test no_pii_values(model, column_name, detectors=['email', 'phone', 'ssn', 'credit_card', 'ipv4']) %}
  {%- set known = ['email', 'phone', 'ssn', 'credit_card', 'ipv4'] -%}
  {%- if detectors is string or detectors is not iterable or detectors | length == 0 or detectors | reject('in', known) | list -%}
    {{ pii_guard.argument_error('no_pii_values', "detectors must be a non-empty list drawn from " ~ known | join(', ') ~ "; got " ~ detectors ~ ".") }}
  {%- endif -%}
  {{ return(adapter.dispatch('test_no_pii_values', 'pii_guard')(model, column_name, detectors)) }}
{% endtest %}

{% macro default__test_no_pii_values(model, column_name, detectors) %}
  {{ pii_guard.unsupported_adapter('no_pii_values') }}
{% endmacro %}

{% macro duckdb__test_no_pii_values(model, column_name, detectors) %}
{%- set octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' -%}
{%- set checks = {
    'email': "regexp_matches(value, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}')",
    'phone': "regexp_matches(value, '(^|[^0-9])(\\+?1[ .-]?)?(\\([0-9]{3}\\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)') or regexp_matches(value, '(^|[^0-9])\\+[0-9]{1,3}([ .-][0-9]{1,4}){2,4}([^0-9]|$)')",
    'ssn': "len(list_filter(regexp_extract_all(value, '(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)', 1), lambda ssn: left(ssn, 3) not in ('000', '666') and left(ssn, 1) <> '9' and substr(ssn, 5, 2) <> '00' and right(ssn, 4) <> '0000')) > 0",
    'credit_card': "len(list_filter(list_transform(regexp_extract_all(value, '(?:^|[^0-9])((?:[0-9][ -]?){12,18}[0-9])(?:[^0-9]|$)', 1), lambda candidate: regexp_replace(candidate, '[^0-9]', '', 'g')), lambda digits: list_sum(list_transform(range(length(digits)), lambda i: case when i % 2 = 0 then cast(digits[length(digits) - i] as integer) else cast(digits[length(digits) - i] as integer) * 2 - case when cast(digits[length(digits) - i] as integer) > 4 then 9 else 0 end end)) % 10 = 0)) > 0",
    'ipv4': "regexp_matches(value, '(^|[^0-9.])(" ~ octet ~ "\\.){3}" ~ octet ~ "([^0-9.]|$)')",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, checks) }}
{% endmacro %}

{#- PostgreSQL: the same detectors; regexp_matches() finds the candidates and a
    generate_series() over the digits computes the Luhn checksum. -#}
{% macro postgres__test_no_pii_values(model, column_name, detectors) %}
{%- set octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' -%}
{%- set luhn = "(select sum(case when i % 2 = 0 then d else d * 2 - case when d > 4 then 9 else 0 end end) % 10 = 0 from (select i, cast(substr(reverse(digits), i + 1, 1) as integer) as d from generate_series(0, length(digits) - 1) as i) as positions)" -%}
{%- set checks = {
    'email': "value ~ '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}'",
    'phone': "(value ~ '(^|[^0-9])(\\+?1[ .-]?)?(\\([0-9]{3}\\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)' or value ~ '(^|[^0-9])\\+[0-9]{1,3}([ .-][0-9]{1,4}){2,4}([^0-9]|$)')",
    'ssn': "exists (select 1 from regexp_matches(value, '(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)', 'g') as m(found) where left(found[1], 3) not in ('000', '666') and left(found[1], 1) <> '9' and substr(found[1], 5, 2) <> '00' and right(found[1], 4) <> '0000')",
    'credit_card': "exists (select 1 from (select regexp_replace(found[1], '[^0-9]', '', 'g') as digits from regexp_matches(value, '(?:^|[^0-9])((?:[0-9][ -]?){12,18}[0-9])(?:[^0-9]|$)', 'g') as m(found)) as candidates where " ~ luhn ~ ")",
    'ipv4': "value ~ '(^|[^0-9.])(" ~ octet ~ "\\.){3}" ~ octet ~ "([^0-9.]|$)'",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, checks) }}
{% endmacro %}

{#- Spark: the same detectors with rlike (which finds a match anywhere, like the
    others) and higher-order functions over regexp_extract_all for the
    checksums. Raw literals keep the patterns' backslashes. -#}
{% macro spark__test_no_pii_values(model, column_name, detectors) %}
{%- set octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' -%}
{%- set digit_at = "cast(substr(digits, length(digits) - i, 1) as int)" -%}
{%- set luhn = "aggregate(sequence(0, length(digits) - 1), 0, (total, i) -> total + case when i % 2 = 0 then " ~ digit_at ~ " else " ~ digit_at ~ " * 2 - case when " ~ digit_at ~ " > 4 then 9 else 0 end end) % 10 = 0" -%}
{%- set checks = {
    'email': "value rlike r'[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}'",
    'phone': "(value rlike r'(^|[^0-9])(\+?1[ .-]?)?(\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)' or value rlike r'(^|[^0-9])\+[0-9]{1,3}([ .-][0-9]{1,4}){2,4}([^0-9]|$)')",
    'ssn': "exists(regexp_extract_all(value, r'(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)', 1), ssn -> left(ssn, 3) not in ('000', '666') and left(ssn, 1) <> '9' and substr(ssn, 5, 2) <> '00' and right(ssn, 4) <> '0000')",
    'credit_card': "exists(transform(regexp_extract_all(value, r'(?:^|[^0-9])((?:[0-9][ -]?){12,18}[0-9])(?:[^0-9]|$)', 1), candidate -> regexp_replace(candidate, r'[^0-9]', '')), digits -> " ~ luhn ~ ")",
    'ipv4': "value rlike r'(^|[^0-9.])(" ~ octet ~ "\.){3}" ~ octet ~ "([^0-9.]|$)'",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, checks) }}
{% endmacro %}

{#- The query every engine shares: one boolean per detector, one row per value
    that any detector matched. -#}
{% macro no_pii_values_scan(model, column_name, detectors, checks) %}
with scanned as (
    select
        value,
        {%- for detector in detectors %}
        {{ checks[detector] }} as found_{{ detector }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (select {{ pii_guard.as_text(column_name) }} as value from {{ model }}) as source
    where value is not null
)
select
    value,
    concat_ws(', ', {% for detector in detectors %}case when found_{{ detector }} then '{{ detector }}' end{{ ', ' if not loop.last }}{% endfor %}) as detected
from scanned
where {% for detector in detectors %}found_{{ detector }}{{ ' or ' if not loop.last }}{% endfor %}
{% endmacro %}
