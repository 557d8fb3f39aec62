{#- Scans a text column's values for PII nobody tagged: the guard for free-text
    columns (notes, comments, user agents) where an email or a card number gets
    pasted. Fails with one row per offending value. Columns: row_key (the
    key_column's value, else the row's number when the model is ordered by the
    column), detected (the detectors that matched) and masked_value (first
    character and length, never the raw text).

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
          arguments: {detectors: [email, phone], key_column: note_id} -#}
{% test no_pii_values(model, column_name, detectors=['email', 'phone', 'ssn', 'credit_card', 'ipv4'], key_column=none) %}
  {%- set known = ['email', 'phone', 'ssn', 'credit_card', 'ipv4'] -%}
  {%- if detectors is string or detectors is not iterable or detectors | length == 0 or detectors | reject('in', known) | list -%}
    {{ pii_guard.argument_error('no_pii_values', "detectors must be a non-empty list drawn from " ~ known | join(', ') ~ "; got " ~ detectors ~ ".") }}
  {%- endif -%}
  {%- set row_key = pii_guard.row_key('no_pii_values', key_column, column_name) -%}
  {{ return(adapter.dispatch('test_no_pii_values', 'pii_guard')(model, column_name, detectors, row_key)) }}
{% endtest %}

{% macro default__test_no_pii_values(model, column_name, detectors, row_key) %}
  {{ pii_guard.unsupported_adapter('no_pii_values') }}
{% endmacro %}

{#- The detectors' regular expressions, the same on every engine. email, phone
    and ipv4 match as they stand; ssn and credit_card capture candidates (group
    1) that each engine then validates. -#}
{% macro pii_value_patterns() -%}
  {%- set octet = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' -%}
  {{ return({
    'email': ['[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}'],
    'phone': ['(^|[^0-9])(\\+?1[ .-]?)?(\\([0-9]{3}\\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}([^0-9]|$)',
              '(^|[^0-9])\\+[0-9]{1,3}([ .-][0-9]{1,4}){2,4}([^0-9]|$)'],
    'ipv4': ['(^|[^0-9.])(' ~ octet ~ '\\.){3}' ~ octet ~ '([^0-9.]|$)'],
    'ssn': '(?:^|[^0-9])([0-9]{3}-[0-9]{2}-[0-9]{4})(?:[^0-9]|$)',
    'credit_card': '(?:^|[^0-9])((?:[0-9][ -]?){12,18}[0-9])(?:[^0-9]|$)',
  }) }}
{%- endmacro %}

{#- An SSN candidate that could be issued: not area 000, 666 or 9xx, group 00 or serial 0000. -#}
{% macro possible_ssn(ssn) -%}
left({{ ssn }}, 3) not in ('000', '666') and left({{ ssn }}, 1) <> '9' and substr({{ ssn }}, 5, 2) <> '00' and right({{ ssn }}, 4) <> '0000'
{%- endmacro %}

{#- The Luhn checksum term of the digit i places from the right of `digits`. -#}
{% macro luhn_term(digit, i) -%}
case when {{ i }} % 2 = 0 then {{ digit }} else {{ digit }} * 2 - case when {{ digit }} > 4 then 9 else 0 end end
{%- endmacro %}

{#- DuckDB: list functions over regexp_extract_all for the candidates. -#}
{% macro duckdb__test_no_pii_values(model, column_name, detectors, row_key) %}
{%- set patterns = pii_guard.pii_value_patterns() -%}
{%- set digit = "cast(digits[length(digits) - i] as integer)" -%}
{%- set candidate_checks = {
    'ssn': "len(list_filter(regexp_extract_all(value, '" ~ patterns.ssn ~ "', 1), lambda ssn: " ~ pii_guard.possible_ssn('ssn') ~ ")) > 0",
    'credit_card': "len(list_filter(list_transform(regexp_extract_all(value, '" ~ patterns.credit_card ~ "', 1), lambda candidate: " ~ pii_guard.regex_replace_all('candidate', '[^0-9]', '') ~ "), lambda digits: list_sum(list_transform(range(length(digits)), lambda i: " ~ pii_guard.luhn_term(digit, 'i') ~ ")) % 10 = 0)) > 0",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, candidate_checks, row_key) }}
{% endmacro %}

{#- PostgreSQL: regexp_matches() finds the candidates and a generate_series()
    over the digits computes the Luhn checksum. -#}
{% macro postgres__test_no_pii_values(model, column_name, detectors, row_key) %}
{%- set patterns = pii_guard.pii_value_patterns() -%}
{%- set luhn = "(select sum(" ~ pii_guard.luhn_term('d', 'i') ~ ") % 10 = 0 from (select i, cast(substr(reverse(digits), i + 1, 1) as integer) as d from generate_series(0, length(digits) - 1) as i) as positions)" -%}
{%- set candidate_checks = {
    'ssn': "exists (select 1 from regexp_matches(value, '" ~ patterns.ssn ~ "', 'g') as m(found) where " ~ pii_guard.possible_ssn('found[1]') ~ ")",
    'credit_card': "exists (select 1 from (select " ~ pii_guard.regex_replace_all('found[1]', '[^0-9]', '') ~ " as digits from regexp_matches(value, '" ~ patterns.credit_card ~ "', 'g') as m(found)) as candidates where " ~ luhn ~ ")",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, candidate_checks, row_key) }}
{% endmacro %}

{#- Spark: higher-order functions over regexp_extract_all for the candidates
    (raw literals keep the patterns' backslashes). -#}
{% macro spark__test_no_pii_values(model, column_name, detectors, row_key) %}
{%- set patterns = pii_guard.pii_value_patterns() -%}
{%- set digit = "cast(substr(digits, length(digits) - i, 1) as int)" -%}
{%- set candidate_checks = {
    'ssn': "exists(regexp_extract_all(value, r'" ~ patterns.ssn ~ "', 1), ssn -> " ~ pii_guard.possible_ssn('ssn') ~ ")",
    'credit_card': "exists(transform(regexp_extract_all(value, r'" ~ patterns.credit_card ~ "', 1), candidate -> " ~ pii_guard.regex_replace_all('candidate', '[^0-9]', '') ~ "), digits -> aggregate(sequence(0, length(digits) - 1), 0, (total, i) -> total + " ~ pii_guard.luhn_term(digit, 'i') ~ ") % 10 = 0)",
} -%}
{{ pii_guard.no_pii_values_scan(model, column_name, detectors, candidate_checks, row_key) }}
{% endmacro %}

{#- The query every engine shares: one boolean per detector, one row per value
    that any detector matched, shown by its row_key and masked: never the
    value itself. email, phone and ipv4 are pattern matches here; ssn and
    credit_card come from the engine (candidate_checks). -#}
{% macro no_pii_values_scan(model, column_name, detectors, candidate_checks, row_key) %}
{%- set patterns = pii_guard.pii_value_patterns() -%}
{%- set checks = {} -%}
{%- for detector in ['email', 'phone', 'ipv4'] -%}
  {%- set matches = [] -%}
  {%- for pattern in patterns[detector] -%}
    {%- do matches.append(pii_guard.regex_contains('value', pattern)) -%}
  {%- endfor -%}
  {%- do checks.update({detector: '(' ~ matches | join(' or ') ~ ')'}) -%}
{%- endfor -%}
{%- do checks.update(candidate_checks) -%}
with scanned as (
    select
        row_key,
        value,
        {%- for detector in detectors %}
        {{ checks[detector] }} as found_{{ detector }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (select {{ row_key }} as row_key, {{ pii_guard.as_text(column_name) }} as value from {{ model }}) as source
    where value is not null
)
select
    row_key,
    concat_ws(', ', {% for detector in detectors %}case when found_{{ detector }} then '{{ detector }}' end{{ ', ' if not loop.last }}{% endfor %}) as detected,
    {{ pii_guard.masked_value('value') }} as masked_value
from scanned
where {% for detector in detectors %}found_{{ detector }}{{ ' or ' if not loop.last }}{% endfor %}
{% endmacro %}
