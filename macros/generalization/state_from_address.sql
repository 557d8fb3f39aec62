{#- The two-letter USPS state or territory code that stands before a 5-digit
    ZIP (or ZIP+4) at the end of a US address, upper-cased:
    '1 Main St, Boston, MA 02139' gives 'MA', 'po box 7, juneau ak 99801-1234'
    gives 'AK'. NULL when the address has no such ending or the two letters are
    not a USPS code.

    {{ pii_guard.state_from_address('mailing_address') }} -#}
{% macro state_from_address(address) -%}
  {{ pii_guard.require_expression('state_from_address', 'address', address) }}
  {{ return(adapter.dispatch('state_from_address', 'pii_guard')(address)) }}
{%- endmacro %}

{% macro default__state_from_address(address) -%}
  {{ pii_guard.unsupported_adapter('state_from_address') }}
{%- endmacro %}

{% macro postgres__state_from_address(address) -%}
  {{ pii_guard.duckdb__state_from_address(address) }}
{%- endmacro %}

{% macro spark__state_from_address(address) -%}
  {{ pii_guard.duckdb__state_from_address(address) }}
{%- endmacro %}

{% macro duckdb__state_from_address(address) -%}
  {%- set code = "upper(" ~ pii_guard.regex_group(pii_guard.as_text(address), "(^|[\\s,])([A-Za-z]{2})[\\s,]+[0-9]{5}(-[0-9]{4})?\\s*$", 2) ~ ")" -%}
case when {{ code }} in ('{{ pii_guard.usps_state_codes() | join("', '") }}') then {{ code }} end
{%- endmacro %}

{#- States, DC, territories and military codes. -#}
{% macro usps_state_codes() -%}
  {{ return([
    'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA',
    'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ',
    'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT',
    'VA', 'WA', 'WV', 'WI', 'WY', 'DC', 'AS', 'GU', 'MP', 'PR', 'VI', 'UM', 'FM', 'MH', 'PW',
    'AA', 'AE', 'AP']) }}
{%- endmacro %}
