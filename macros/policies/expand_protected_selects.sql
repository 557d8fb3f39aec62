{#- A model's raw SQL with each protected_select call replaced by the PII
    column names it passes, for select_list_references: the columns of the
    relation that carry PII (pii: its parents' carried PII, name -> origin)
    and whose yml treatment is not a protecting one (keep, or no readable
    policy: compiling the model fails on those anyway).

    Only the inline form is read: {{ pii_guard.protected_select(source('a',
    'b')) }} or {{ pii_guard.protected_select(ref('m')) }} naming one parent.
    Any other mention of protected_select (a relation in a variable, a call
    in {% set %}, a call inside a larger expression) makes the model
    unreadable: none is returned, and the caller assumes every upstream PII
    column passes (never assumed protected).

    protected_select(source('raw', 'people')) with email hashed and phone kept
    becomes " phone ". -#}
{% macro expand_protected_selects(node, nodes, pii) -%}
  {%- if 'protected_select' not in node.raw_code -%}{{ return(node.raw_code) }}{%- endif -%}
  {%- set re = modules.re -%}
  {%- set pieces = namespace(sql='', last=0, calls=0) -%}
  {%- set parents = (node.get('depends_on') or {}).get('nodes') or [] -%}
  {%- for call in re.finditer('(?s)\\{\\{-?\\s*pii_guard\\s*\\.\\s*protected_select\\s*\\((.*?)\\)\\s*-?\\}\\}', node.raw_code) -%}
    {%- set argument = call.group(1) -%}
    {%- set source_call = re.match("^\\s*source\\s*\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)\\s*$", argument) -%}
    {%- set ref_call = re.match("^\\s*ref\\s*\\(\\s*(?:['\"][^'\"]+['\"]\\s*,\\s*)?['\"]([^'\"]+)['\"]\\s*\\)\\s*$", argument) -%}
    {%- set matched = [] -%}
    {%- for parent in parents if parent in nodes -%}
      {%- set candidate = nodes[parent] -%}
      {%- if (source_call and candidate.resource_type == 'source' and candidate.source_name == source_call.group(1) and candidate.name == source_call.group(2))
            or (ref_call and candidate.resource_type != 'source' and candidate.name == ref_call.group(1)) -%}
        {%- do matched.append(parent) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set passed = [] -%}
    {%- if matched | length != 1 -%}
      {{ return(none) }}
    {%- else -%}
      {#- The declarations protected_select itself reads for that relation. -#}
      {%- set parent = nodes[matched[0]] -%}
      {%- set columns = pii_guard.declared_columns(api.Relation.create(database=parent.database, schema=parent.schema,
            identifier=parent.identifier if parent.resource_type == 'source' else parent.alias)).columns -%}
      {%- for name in pii.get(matched[0], {}) -%}
        {%- set policy = pii_guard.column_policy(columns[name]) if name in columns else {'problem': 'undeclared'} -%}
        {%- if policy.problem or policy.treatment == 'keep' -%}{%- do passed.append(name) -%}{%- endif -%}
      {%- endfor -%}
    {%- endif -%}
    {%- set pieces.sql = pieces.sql ~ node.raw_code[pieces.last:call.start()] ~ ' ' ~ ((passed | unique | join(', ')) or 'null') ~ ' ' -%}
    {%- set pieces.last = call.end() -%}
    {%- set pieces.calls = pieces.calls + 1 -%}
  {%- endfor -%}
  {#- Every mention must have been one of the inline calls read above. -#}
  {%- if pieces.calls != re.sub('(?s)\\{#.*?#\\}', ' ', node.raw_code).count('protected_select') -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(pieces.sql ~ node.raw_code[pieces.last:]) }}
{%- endmacro %}
